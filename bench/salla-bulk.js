'use strict';
/**
 * Salla bulk loyalty points (POST /admin/v2/customers/loyalty/points) on the engine started as a user
 * starts it:
 * 1. one request for 10,000 listed customers (plus 10 points each): its duration, against a client's
 *    usual 30 s timeout;
 * 2. the store grown to 100,000 customers (BENCH_SALLA_CUSTOMERS), 10,000 per request;
 * 3. one `select_all` request (plus 1 point for every customer of the store): its duration and the
 *    engine's RSS while it runs (VmRSS sampled every 250 ms, and VmHWM, the process's peak so far).
 * The engine is stopped on exit, also on failure.
 */
const fs = require('node:fs');
const http = require('node:http');
const { memoryOf, printTargets, scale, table, target, writeResult } = require('./lib/common');
const { removeDir, startEngine, tempDir } = require('./lib/engine');

const ROUTE = '/admin/v2/customers/loyalty/points';
const LISTED = Math.max(100, Math.round(10_000 * Math.min(1, scale())));
const CUSTOMERS = Number(process.env.BENCH_SALLA_CUSTOMERS ?? Math.max(LISTED, Math.round(100_000 * scale())));
const TIMEOUT_S = 30;
const RSS_TARGET_MB = 512;

/** POSTs JSON with node:http (no client-side timeout: select_all over 100,000 customers may take minutes). */
function postJson(url, headers, body) {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': payload.length } });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.end(payload);
  });
}

/** The highest VmRSS seen between start() and stop(): the engine's memory while one request runs. */
function rssWindow(pid, everyMs = 250) {
  let peak = 0;
  const sample = () => {
    const m = memoryOf(pid);
    if (m && Number.isFinite(m.rssMB)) peak = Math.max(peak, m.rssMB);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return () => (sample(), clearInterval(timer), Math.round(peak * 10) / 10);
}

const ids = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function main() {
  const dir = tempDir('salla');
  let engine;
  try {
    engine = await startEngine({ dataDir: `${dir}/data`, label: 'salla-engine' });
    const call = async (body) => {
      const started = performance.now();
      const response = await postJson(`${engine.url}${ROUTE}`, engine.headers, body);
      const seconds = (performance.now() - started) / 1000;
      if (response.status !== 201) throw new Error(`${ROUTE}: HTTP ${response.status}: ${response.text.slice(0, 500)}`);
      return { seconds, data: JSON.parse(response.text).data };
    };

    const listed = await call({ points: 10, type: 'plus', reason: 'bench: listed customers', channel_send: [], customers: ids(1, LISTED) });
    let seeded = LISTED;
    let seedSeconds = 0;
    while (seeded < CUSTOMERS) {
      const next = Math.min(CUSTOMERS, seeded + 10_000);
      seedSeconds += (await call({ points: 10, type: 'plus', reason: 'bench: seed', channel_send: [], customers: ids(seeded + 1, next) })).seconds;
      seeded = next;
    }
    const before = memoryOf(engine.pid);
    const stopWindow = rssWindow(engine.pid);
    const all = await call({ points: 1, type: 'plus', reason: 'bench: select_all', channel_send: [], select_all: true });
    const selectAllPeakMB = stopWindow();
    const after = memoryOf(engine.pid);
    const round = (n) => Math.round(n * 10) / 10;

    table('salla bulk', [
      { request: `${LISTED} listed customers`, customers: listed.data.updated_customers, seconds: round(listed.seconds), 'customers/s': Math.round(LISTED / listed.seconds) },
      { request: `seeding to ${CUSTOMERS} (10,000 per request)`, customers: CUSTOMERS - LISTED, seconds: round(seedSeconds), 'customers/s': seedSeconds ? Math.round((CUSTOMERS - LISTED) / seedSeconds) : '-' },
      {
        request: `select_all over ${CUSTOMERS}`,
        customers: all.data.updated_customers,
        seconds: round(all.seconds),
        'customers/s': Math.round(CUSTOMERS / all.seconds),
        'RSS before MB': round(before.rssMB),
        'peak RSS during MB': selectAllPeakMB,
        'VmHWM after MB': round(after.peakMB),
      },
    ]);
    const targets = [
      target(`salla: ${LISTED} listed customers in one request`, round(listed.seconds), '<=', TIMEOUT_S, ' s'),
      target('salla: select_all changed every customer', all.data.updated_customers, '>=', CUSTOMERS),
      target(`salla: engine peak RSS during select_all over ${CUSTOMERS}`, selectAllPeakMB, '<=', RSS_TARGET_MB, ' MB'),
    ];
    printTargets(targets);
    writeResult('salla-bulk', {
      listed: LISTED,
      customers: CUSTOMERS,
      listedSeconds: listed.seconds,
      seedSeconds,
      selectAllSeconds: all.seconds,
      rssBeforeMB: before.rssMB,
      selectAllPeakRssMB: selectAllPeakMB,
      vmHwmAfterMB: after.peakMB,
      targets,
    });
  } finally {
    if (engine) await engine.stop();
    removeDir(dir);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
