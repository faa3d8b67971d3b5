'use strict';
/**
 * Load driver, run as its own process (`node bench/lib/load.js '<json>'`) so the load
 * generator never shares an event loop with the harness. Drives autocannon and prints one
 * JSON line with throughput, exact latency percentiles (every response time is kept),
 * status codes, errors and timeouts.
 *
 * Config: { url, connections, duration, method, path, headers, body, customers, customerTag, pick }
 * `path` and `body` may hold `{customer}`: replaced per request by a customer id, round-robin
 * (pick: 'roundrobin', default) or random (pick: 'random') over `customers` ids.
 */
const autocannon = require('autocannon');
const { customerId, summarize } = require('./common');

const config = JSON.parse(process.argv[2] ?? '{}');
const {
  url,
  connections = 64,
  duration = 20,
  method = 'GET',
  path = '/',
  headers = {},
  body,
  customers = 0,
  customerTag = 0,
  customerOffset = 0,
  pick = 'roundrobin',
  timeout = 30,
} = config;

const templated = customers > 0 && (path.includes('{customer}') || (body ?? '').includes('{customer}'));
// round-robin starts at the first customer, so after N successful adds customers [0, min(N, customers)) have points
let counter = 0;
const nextCustomer = () => {
  const n = pick === 'random' ? Math.floor(Math.random() * customers) : counter++ % customers;
  return customerId(customerOffset + n, customerTag);
};

const request = { method, path, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body } : {}) };
if (templated) {
  request.setupRequest = (req) => {
    const id = nextCustomer();
    return {
      ...req,
      path: path.replace(/\{customer\}/g, id),
      ...(body ? { body: body.replace(/\{customer\}/g, id) } : {}),
    };
  };
}

const latencies = [];
const statusCodes = {};
const instance = autocannon(
  { url, connections, duration, timeout, requests: [request] },
  (error, result) => {
    if (error) {
      console.error(error);
      process.exit(1);
    }
    const exact = summarize(latencies);
    const out = {
      connections,
      durationSeconds: result.duration,
      requests: result.requests.total,
      requestsPerSecond: result.requests.total / result.duration,
      latencyMs: {
        p50: exact.p50,
        p95: exact.p95,
        p99: exact.p99,
        max: exact.max,
        mean: exact.mean,
      },
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      statusCodes,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  },
);
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  latencies.push(responseTime);
  statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
});
process.on('SIGTERM', () => instance.stop());
