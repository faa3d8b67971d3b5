'use strict';
/**
 * Soak (on demand, not in CI): `node bench/soak.js` measures the engine's capacity for a mixed load
 * (add, spend, summary, listing) for SOAK_PROBE_SECONDS (default 15), then runs that mix at half the
 * capacity, open loop, for SOAK_MINUTES (default 10). It prints the engine's RSS over time and its slope
 * after the first minute (a leak shows as a steady slope), the error count (5xx, refused connections,
 * anything but 2xx and the ledger's 422), and per minute the requests, errors and p99 latency.
 * SOAK_RATE fixes the rate instead of measuring it.
 */
const fs = require('node:fs');
const { machine, percentile, table, tempDir, writeResult } = require('./lib/common');
const { STORE, removeDir, startEngine } = require('./lib/engine');

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const PROBE_SECONDS = Number(process.env.SOAK_PROBE_SECONDS ?? 15);
const PROBE_CONNECTIONS = 32;
const CUSTOMERS = 2_000;
const RSS_EVERY_MS = 5_000;

/** One request of the mix: 45% add, 15% spend, 25% summary, 15% listing by customer. */
function mixedRequest(engine, n) {
  const customer = `soak-${n % CUSTOMERS}`;
  const roll = n % 20;
  const json = { ...engine.headers, 'content-type': 'application/json' };
  if (roll < 9) return { method: 'POST', url: `${engine.url}/api/${STORE}/points/transfer/add`, headers: json, body: JSON.stringify({ transfer: { customer, points: 10 } }) };
  if (roll < 12) return { method: 'POST', url: `${engine.url}/api/${STORE}/points/transfer/spend`, headers: json, body: JSON.stringify({ transfer: { customer, points: 1 } }) };
  if (roll < 17) return { method: 'GET', url: `${engine.url}/api/${STORE}/customers/${customer}/points`, headers: engine.headers };
  return { method: 'GET', url: `${engine.url}/api/${STORE}/points/transfer?customerId=${customer}&perPage=10`, headers: engine.headers };
}

/** Sends one request; its latency in ms and whether it is an error (a 404 before a customer's first add and a 422 are answers, not errors). */
async function send(request) {
  const started = performance.now();
  try {
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
    await response.arrayBuffer();
    const ok = response.status < 300 || response.status === 404 || response.status === 422;
    return { ms: performance.now() - started, error: !ok, status: response.status };
  } catch (error) {
    return { ms: performance.now() - started, error: true, status: String(error.cause?.code ?? error.message) };
  }
}

function rssMB(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
  } catch {
    return NaN;
  }
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx ? sxy / sxx : NaN;
}

async function probeCapacity(engine) {
  let n = 0;
  let done = 0;
  const deadline = performance.now() + PROBE_SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      await send(mixedRequest(engine, n++));
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: PROBE_CONNECTIONS }, worker));
  return done / ((performance.now() - started) / 1000);
}

async function main() {
  const m = machine();
  console.log(`soak: ${m.cores} cores (${m.cpuModel}), Node ${m.node}, commit ${m.gitCommit}; ${MINUTES} min`);
  const dataDir = tempDir('soak');
  const engine = await startEngine({ dataDir, label: 'soak' });
  try {
    const capacity = process.env.SOAK_RATE ? undefined : await probeCapacity(engine);
    const rate = Number(process.env.SOAK_RATE ?? Math.max(1, Math.floor(capacity / 2)));
    console.log(capacity ? `capacity (mixed, ${PROBE_CONNECTIONS} connections): ${capacity.toFixed(0)} req/s; soak rate: ${rate} req/s` : `soak rate: ${rate} req/s`);

    const minutes = Array.from({ length: Math.ceil(MINUTES) }, () => ({ latencies: [], errors: 0, statuses: {} }));
    const rss = [];
    const started = performance.now();
    const endAt = started + MINUTES * 60_000;
    const inFlight = new Set();
    let n = 1_000_000;
    let sent = 0;
    const rssTimer = setInterval(() => rss.push({ x: (performance.now() - started) / 60_000, y: rssMB(engine.pid) }), RSS_EVERY_MS);
    rss.push({ x: 0, y: rssMB(engine.pid) });
    // open loop: requests leave on schedule whether or not earlier ones were answered
    while (performance.now() < endAt) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      for (; sent < due; sent++) {
        const minute = Math.min(minutes.length - 1, Math.floor((performance.now() - started) / 60_000));
        const p = send(mixedRequest(engine, n++)).then((result) => {
          minutes[minute].latencies.push(result.ms);
          if (result.error) {
            minutes[minute].errors++;
            minutes[minute].statuses[result.status] = (minutes[minute].statuses[result.status] ?? 0) + 1;
          }
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inFlight);
    clearInterval(rssTimer);
    rss.push({ x: (performance.now() - started) / 60_000, y: rssMB(engine.pid) });

    const rows = minutes.map((minute, i) => ({
      minute: i + 1,
      requests: minute.latencies.length,
      'req/s': minute.latencies.length / 60,
      errors: minute.errors,
      'p50 ms': percentile(minute.latencies, 50),
      'p99 ms': percentile(minute.latencies, 99),
      'rss MB': rss.filter((s) => s.x <= i + 1).at(-1)?.y,
    }));
    table('per minute', rows);
    const settled = rss.filter((s) => s.x >= 1);
    const rssSlope = slope(settled.length >= 2 ? settled : rss);
    const errors = minutes.reduce((sum, minute) => sum + minute.errors, 0);
    const statuses = minutes.reduce((all, minute) => {
      for (const [status, count] of Object.entries(minute.statuses)) all[status] = (all[status] ?? 0) + count;
      return all;
    }, {});
    console.log(`\nRSS: ${rss.map((s) => `${s.x.toFixed(1)}m ${s.y.toFixed(0)}`).filter((_, i, all) => i % 6 === 0 || i === all.length - 1).join(', ')} MB`);
    console.log(`RSS slope after the first minute: ${rssSlope.toFixed(2)} MB/min; peak ${Math.max(...rss.map((s) => s.y)).toFixed(0)} MB`);
    console.log(`requests: ${sent}, errors: ${errors}${errors ? ` (${JSON.stringify(statuses)})` : ''}`);
    writeResult('soak', { minutes: MINUTES, capacity, rate, perMinute: rows, rss, rssSlopeMBPerMin: rssSlope, errors, statuses });
  } finally {
    await engine.stop();
    removeDir(dataDir);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
