'use strict';
/**
 * Webhooks: 10 endpoints (node http receivers in this process, on loopback) subscribed to
 * points.added, while the commands load adds points (64 connections). A probe adds points for a
 * fresh customer every 50 ms and measures from the engine's acknowledgement (HTTP 200) to the
 * moment each receiver sees the first byte of that event's delivery (the request's headers have
 * arrived); a delivery that beats the acknowledgement counts as 0 ms. Deliveries per second:
 * every request all receivers took during the load, over its duration (bounded by the add rate
 * times 10), and the capacity apart from the add rate: every endpoint replays the whole log at once.
 */
const http = require('node:http');
const { customerId, duration, printTargets, scaled, sleep, summarize, table, target, writeResult } = require('./lib/common');
const { STORE, engineAvailable, removeDir, startLoad, startEngine, tempDir, transferBody } = require('./lib/engine');

const ENDPOINTS = Number(process.env.BENCH_WEBHOOK_ENDPOINTS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const PROBE_GAP_MS = 50;
const TIMEOUT_MS = 10_000;

/** A receiver: answers 204 at once, notes when a probe customer's delivery started to arrive. */
function startReceiver(index, probes) {
  const stats = { index, requests: 0 };
  const server = http.createServer((request, response) => {
    const firstByte = performance.now();
    stats.requests++;
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      response.writeHead(204).end();
      const customer = /"customerId":"([^"]+)"/.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
      const probe = customer && probes.get(customer);
      if (probe) probe.arrivals.set(index, firstByte);
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, stats, url: `http://127.0.0.1:${server.address().port}/hook` })));
}

/** until no receiver took a request for 2 s */
async function waitForQuiet(receivers) {
  let previous = -1;
  for (;;) {
    const total = receivers.reduce((sum, r) => sum + r.stats.requests, 0);
    if (total === previous) return;
    previous = total;
    await sleep(2_000);
  }
}

async function main() {
  if (!engineAvailable()) {
    console.log('engine not available: apps/api/src/main.ts is missing');
    writeResult('webhooks', { error: 'engine not available' });
    process.exitCode = 2;
    return;
  }
  const customers = scaled(10_000, 10);
  const seconds = duration(20);
  const tag = Date.now() % 0xffffffff;
  const probeTag = (tag + 7) % 0xffffffff;
  const dataDir = tempDir('webhooks');
  const probes = new Map();
  const receivers = await Promise.all(Array.from({ length: ENDPOINTS }, (_, i) => startReceiver(i, probes)));
  const engine = await startEngine({ dataDir, label: 'webhooks', env: { LOYALTY_WEBHOOK_TICK_MS: '50' } });
  const latencies = [];
  let lost = 0;
  let load;
  let deliveriesDuringLoad = 0;
  let replay = { events: 0, deliveries: 0, seconds: 0, deliveriesPerSecond: 0 };
  try {
    for (const receiver of receivers) {
      const response = await fetch(`${engine.url}/api/webhooks`, {
        method: 'POST',
        headers: { ...engine.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, eventTypes: ['points.added'] }),
      });
      if (response.status !== 201) throw new Error(`creating an endpoint: ${response.status} ${await response.text()}`);
    }
    const addPath = `/api/${STORE}/points/transfer/add`;
    // open the accounts first, so the measured load is steady-state adds
    await startLoad({ url: engine.url, connections: CONNECTIONS, duration: Math.max(1, Math.round(seconds / 5)), method: 'POST', path: addPath, headers: engine.headers, body: transferBody(10), customers, customerTag: tag }).promise;
    // let the receivers catch up with the warm-up before counting
    await waitForQuiet(receivers);
    const before = receivers.reduce((sum, r) => sum + r.stats.requests, 0);
    const started = performance.now();
    const background = startLoad({ url: engine.url, connections: CONNECTIONS, duration: seconds, method: 'POST', path: addPath, headers: engine.headers, body: transferBody(10), customers, customerTag: tag });
    let loadDone = false;
    background.promise.then(
      (r) => {
        load = r;
        loadDone = true;
      },
      () => (loadDone = true),
    );
    await sleep(1000);
    console.log(`webhooks: probing every ${PROBE_GAP_MS} ms, ${ENDPOINTS} endpoints, under ${CONNECTIONS}-connection add load for ${seconds} s`);
    for (let i = 0; !loadDone; i++) {
      const customer = customerId(i, probeTag);
      const probe = { arrivals: new Map() };
      probes.set(customer, probe);
      const response = await fetch(engine.url + addPath, {
        method: 'POST',
        headers: { ...engine.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ transfer: { customer, points: 5 } }),
      });
      await response.arrayBuffer();
      const acked = performance.now();
      if (response.status !== 200) continue;
      while (probe.arrivals.size < ENDPOINTS && performance.now() - acked < TIMEOUT_MS) await sleep(1);
      for (const arrived of probe.arrivals.values()) latencies.push(Math.max(0, arrived - acked));
      lost += ENDPOINTS - probe.arrivals.size;
      probes.delete(customer);
      await sleep(PROBE_GAP_MS);
    }
    await background.promise;
    const elapsed = (performance.now() - started) / 1000;
    deliveriesDuringLoad = (receivers.reduce((sum, r) => sum + r.stats.requests, 0) - before) / elapsed;

    // capacity, apart from how fast adds come: every endpoint replays the whole log at once
    await waitForQuiet(receivers);
    let added = 0;
    for (let after = 'c1.LTE'; ; ) {
      const page = await (await fetch(`${engine.url}/api/events?types=points.added&limit=500&after=${after}`, { headers: engine.headers })).json();
      added += page.data.length;
      after = page.cursor;
      if (!page.more) break;
    }
    const replayBefore = receivers.reduce((sum, r) => sum + r.stats.requests, 0);
    const replayStarted = performance.now();
    const endpoints = (await (await fetch(`${engine.url}/api/webhooks`, { headers: engine.headers })).json()).data;
    for (const endpoint of endpoints) {
      await fetch(`${engine.url}/api/webhooks/${endpoint.id}/replay`, { method: 'POST', headers: { ...engine.headers, 'content-type': 'application/json' }, body: JSON.stringify({ after: 'c1.LTE' }) });
    }
    const expected = replayBefore + added * ENDPOINTS;
    while (receivers.reduce((sum, r) => sum + r.stats.requests, 0) < expected && performance.now() - replayStarted < 300_000) await sleep(20);
    replay = { events: added, deliveries: receivers.reduce((sum, r) => sum + r.stats.requests, 0) - replayBefore, seconds: (performance.now() - replayStarted) / 1000 };
    replay.deliveriesPerSecond = replay.deliveries / replay.seconds;
  } finally {
    engine.peakMB = await engine.stop();
    for (const receiver of receivers) receiver.server.close();
    removeDir(dataDir);
  }

  const lat = summarize(latencies);
  table(`webhooks under add load (${CONNECTIONS} connections, ${load ? Math.round(load.requestsPerSecond) : '?'} adds/s, ${ENDPOINTS} endpoints)`, [
    { measure: 'ack -> receiver first byte', samples: lat.count, 'p50 ms': lat.p50, 'p99 ms': lat.p99, 'max ms': lat.max },
    { measure: 'deliveries/s (all endpoints, during the load)', samples: Math.round(deliveriesDuringLoad) },
    { measure: `deliveries/s replaying ${replay.events} events to every endpoint`, samples: Math.round(replay.deliveriesPerSecond) },
  ]);
  console.log(`probe deliveries lost (not within ${TIMEOUT_MS} ms): ${lost}, load non-2xx ${load?.non2xx}, engine peak RSS ${engine.peakMB} MB`);
  const targets = [
    target('webhook latency p99', lat.p99, '<=', 100, ' ms'),
    target('deliveries/s (replay, capacity)', Math.round(replay.deliveriesPerSecond), '>=', 2000),
    target('probe deliveries lost', lost, '<=', 0),
  ];
  printTargets(targets);
  writeResult('webhooks', {
    settings: { endpoints: ENDPOINTS, connections: CONNECTIONS, durationSeconds: seconds, customers },
    load,
    latencyMs: lat,
    deliveriesPerSecond: { duringLoad: deliveriesDuringLoad, replay },
    lost,
    engine: { peakRssMB: engine.peakMB },
    targets,
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
