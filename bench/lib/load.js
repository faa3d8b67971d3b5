'use strict';
/**
 * Load driver, run as its own process (`node bench/lib/load.js '<json>'`) so the load
 * generator never shares an event loop with the harness. Drives autocannon and prints one
 * JSON line with throughput, exact latency percentiles (every response time is kept),
 * status codes, errors and timeouts.
 *
 * Config: { url, connections, duration, method, path, headers, body, customers, customerTag, pick }
 * `urls` instead of `url` spreads the connections over several servers (API replicas), one
 * autocannon instance each, and reports them together (latencies of every response pooled).
 * `path` and `body` may hold `{customer}`: replaced per request by a customer id, round-robin
 * (pick: 'roundrobin', default) or random (pick: 'random') over `customers` ids.
 */
const autocannon = require('autocannon');
const { customerId, summarize } = require('./common');

const config = JSON.parse(process.argv[2] ?? '{}');
const {
  url,
  urls = [url],
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
const results = [];
const instances = urls.map((target, i) => {
  // the connections split as evenly as they go, the first servers taking the remainder
  const share = Math.floor(connections / urls.length) + (i < connections % urls.length ? 1 : 0);
  const instance = autocannon({ url: target, connections: share, duration, timeout, requests: [request] }, (error, result) => {
    if (error) {
      console.error(error);
      process.exit(1);
    }
    results.push(result);
    if (results.length === urls.length) report();
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
  });
  return instance;
});

function report() {
  const exact = summarize(latencies);
  const sum = (pick) => results.reduce((total, result) => total + pick(result), 0);
  const seconds = Math.max(...results.map((result) => result.duration));
  const requests = sum((result) => result.requests.total);
  const out = {
    connections,
    servers: urls.length,
    durationSeconds: seconds,
    requests,
    requestsPerSecond: requests / seconds,
    latencyMs: {
      p50: exact.p50,
      p95: exact.p95,
      p99: exact.p99,
      max: exact.max,
      mean: exact.mean,
    },
    non2xx: sum((result) => result.non2xx),
    errors: sum((result) => result.errors),
    timeouts: sum((result) => result.timeouts),
    statusCodes,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}
process.on('SIGTERM', () => instances.forEach((instance) => instance.stop()));
