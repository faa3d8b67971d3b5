'use strict';
/**
 * The baseline: a bare Node `http` server answering every request with a fixed JSON body,
 * after reading the request body (as the engine must). Binds 127.0.0.1 only; PORT from env.
 */
const http = require('node:http');

const body = JSON.stringify({ pointsTransferId: '00000000-0000-4000-8000-000000000000' });
const server = http.createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
