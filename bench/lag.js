'use strict';
/**
 * Scenario 4, projection lag: while the commands load runs (add points, 64 connections), a probe
 * adds points for a fresh customer, takes the moment the engine acknowledges (HTTP 200), and
 * measures until that append is visible in the read model, two ways at once:
 *  - checkpoint: the lowest live projection checkpoint in the SQLite file reaches the append's
 *    position (a view row and its checkpoint commit in one transaction, so this is "visible");
 *  - http: GET /api/DEFAULT/points/transfer?customerId=<fresh> lists the transfer (when the route exists).
 * The target is judged on the checkpoint figure (precise to ~1 ms; the http one adds the
 * listing request's own queueing behind the load).
 */
const { customerId, duration, printTargets, scaled, sleep, summarize, table, target, writeResult } = require('./lib/common');
const { STORE, engineAvailable, removeDir, startLoad, startEngine, tempDir, transferBody } = require('./lib/engine');
const { openProbe } = require('./lib/sqlite-probe');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const PROBE_GAP_MS = Number(process.env.BENCH_LAG_PROBE_GAP_MS ?? 50);
const TIMEOUT_MS = 10_000;

async function main() {
  if (!engineAvailable()) {
    console.log('engine not available: apps/api/src/main.ts is missing');
    writeResult('lag', { error: 'engine not available' });
    process.exitCode = 2;
    return;
  }
  const customers = scaled(10_000, 10);
  const seconds = duration(20);
  const tag = Date.now() % 0xffffffff;
  const probeTag = (tag + 1) % 0xffffffff;
  const dataDir = tempDir('lag');
  const engine = await startEngine({ dataDir, label: 'lag' });
  const probe = openProbe(engine.dbPath);
  const checkpointLag = [];
  const httpLag = [];
  const ackLatency = [];
  let httpAvailable = true;
  let timeouts = 0;
  let probeErrors = 0;
  let load;
  try {
    const addPath = `/api/${STORE}/points/transfer/add`;
    // open the accounts first, so the measured load is steady-state adds
    await startLoad({ url: engine.url, connections: CONNECTIONS, duration: Math.max(1, Math.round(seconds / 5)), method: 'POST', path: addPath, headers: engine.headers, body: transferBody(10), customers, customerTag: tag }).promise;
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
    console.log(`lag: probing every ${PROBE_GAP_MS} ms under ${CONNECTIONS}-connection add load for ${seconds} s`);
    for (let i = 0; !loadDone; i++) {
      const customer = customerId(i, probeTag);
      const sent = performance.now();
      const response = await fetch(engine.url + addPath, {
        method: 'POST',
        headers: { ...engine.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ transfer: { customer, points: 5 } }),
      });
      await response.arrayBuffer();
      const acked = performance.now();
      if (response.status !== 200) {
        probeErrors++;
        continue;
      }
      ackLatency.push(acked - sent);
      const position = probe.streamHead(`pointsAccount-default:${STORE}:${customer}`);
      const watchCheckpoint = (async () => {
        while (probe.minCheckpoint() < position) {
          if (performance.now() - acked > TIMEOUT_MS) return undefined;
          await sleep(1);
        }
        return performance.now() - acked;
      })();
      const watchHttp = httpAvailable
        ? (async () => {
            for (;;) {
              const r = await fetch(`${engine.url}/api/${STORE}/points/transfer?customerId=${customer}`, { headers: engine.headers });
              const text = await r.text();
              if (r.status === 404 && text.includes('Cannot GET')) {
                httpAvailable = false;
                return undefined;
              }
              if (r.status === 200 && JSON.parse(text).total > 0) return performance.now() - acked;
              if (performance.now() - acked > TIMEOUT_MS) return undefined;
              await sleep(2);
            }
          })()
        : Promise.resolve(undefined);
      const [viaCheckpoint, viaHttp] = await Promise.all([watchCheckpoint, watchHttp]);
      if (viaCheckpoint === undefined) timeouts++;
      else checkpointLag.push(viaCheckpoint);
      if (viaHttp !== undefined) httpLag.push(viaHttp);
      await sleep(PROBE_GAP_MS);
    }
    await background.promise;
  } finally {
    probe.close();
    engine.peakMB = await engine.stop();
    removeDir(dataDir);
  }

  const cp = summarize(checkpointLag);
  const hp = summarize(httpLag);
  const ack = summarize(ackLatency);
  const row = (name, s) => ({ measure: name, samples: s.count, 'p50 ms': s.p50, 'p99 ms': s.p99, 'max ms': s.max });
  table(`projection lag under add load (${CONNECTIONS} connections, ${load ? Math.round(load.requestsPerSecond) : '?'} req/s)`, [
    row('ack -> checkpoint covers append', cp),
    httpAvailable ? row('ack -> listed over HTTP', hp) : { measure: 'ack -> listed over HTTP', samples: 'listing route missing' },
    row('probe add latency (send -> ack)', ack),
  ]);
  console.log(`timeouts ${timeouts}, probe errors ${probeErrors}, load non-2xx ${load?.non2xx}, engine peak RSS ${engine.peakMB} MB`);
  const targets = [
    target('projection lag p99', cp.p99, '<=', 100, ' ms'),
    target('lag probes lost (timeouts/errors)', timeouts + probeErrors, '<=', 0),
  ];
  printTargets(targets);
  writeResult('lag', {
    settings: { connections: CONNECTIONS, durationSeconds: seconds, customers, probeGapMs: PROBE_GAP_MS },
    load,
    lagMs: { checkpoint: cp, http: httpAvailable ? hp : 'listing route missing' },
    probeAckMs: ack,
    timeouts,
    probeErrors,
    engine: { peakRssMB: engine.peakMB },
    targets,
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
