'use strict';
/**
 * Scenario 2, queries: seed 1,000,000 transfers over 100,000 customers through the event store
 * port, start the engine on that file and time the projections' catch-up, then load each query
 * (listing by customer sorted, listing filtered and paged, customer summary, histogram) and
 * report p50/p95/p99.
 */
const { customerId, duration, printTargets, scaled, sleep, table, target, writeResult } = require('./lib/common');
const { STORE, engineAvailable, ensureBuilt, removeDir, runLoad, startEngine } = require('./lib/engine');
const { ensureSeed } = require('./lib/seeding');
const { openProbe } = require('./lib/sqlite-probe');

const CONNECTIONS = Number(process.env.BENCH_QUERY_CONNECTIONS ?? 8);
/** BENCH_QUERIES=listingByCustomer,summary: load only these (e.g. to profile one query) */
const ONLY = process.env.BENCH_QUERIES ? process.env.BENCH_QUERIES.split(',') : undefined;
const fs = require('node:fs');
const CLOCK_TICK_MS = 10; // USER_HZ = 100 on Linux

/** user + system CPU the process has used, in ms (/proc/<pid>/stat fields 14 and 15) */
function engineCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return NaN;
  }
}

const QUERIES = [
  {
    name: 'listing by customer, sort createdAt DESC',
    key: 'listingByCustomer',
    path: `/api/${STORE}/points/transfer?customerId={customer}&sort=createdAt&direction=DESC`,
  },
  { name: 'listing type=adding, perPage=50, page=3', key: 'listingFiltered', path: `/api/${STORE}/points/transfer?type=adding&perPage=50&page=3` },
  { name: 'customer summary', key: 'summary', path: `/api/${STORE}/customers/{customer}/points` },
  { name: 'histogram day, lastDays=30, earned', key: 'histogram', path: `/api/${STORE}/points/transfers?interval=day&lastDays=30&pointType=earned` },
];

async function main() {
  if (!engineAvailable()) {
    console.log('engine not available: apps/api/src/main.ts is missing');
    writeResult('queries', { error: 'engine not available' });
    process.exitCode = 2;
    return;
  }
  const seconds = duration(10);
  const seeded = await ensureSeed('queries');
  const { seed } = seeded;
  if (!seeded.reused) console.log(`seeded ${seed.events} events in ${seed.seconds.toFixed(1)} s (${Math.round(seed.eventsPerSecond)} events/s), file ${seed.dbMB} MB`);

  const probe = openProbe(seeded.dbPath);
  const head = probe.head();
  const label = 'queries';
  let engine;
  const results = {};
  let catchUp;
  try {
    // built first (as `npm start` does before it runs the engine): the catch-up is timed from the engine's spawn
    await ensureBuilt();
    const started = performance.now();
    engine = await startEngine({ dataDir: seeded.dir, label });
    console.log(`engine ready in ${engine.readySeconds.toFixed(1)} s; waiting for projections to reach position ${head}`);
    let lastPrint = performance.now();
    for (;;) {
      const min = probe.minCheckpoint();
      if (min >= head) break;
      if (engine.child.exitCode !== null) throw new Error('engine exited during catch-up');
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now();
        console.log(`  catch-up: ${probe.allCheckpoints().map((c) => `${c.name} ${c.position}`).join(', ')}`);
      }
      await sleep(100);
    }
    const catchUpSeconds = (performance.now() - started) / 1000;
    catchUp = {
      seconds: catchUpSeconds,
      afterReadySeconds: catchUpSeconds - engine.readySeconds,
      events: head + 1,
      eventsPerSecond: (head + 1) / catchUpSeconds,
      peakRssMB: engine.memory.peakMB(),
      otherCheckpoints: probe.allCheckpoints(),
    };
    console.log(`projections caught up ${catchUp.events} events in ${catchUpSeconds.toFixed(1)} s (${Math.round(catchUp.eventsPerSecond)} events/s, from engine start)`);
    // The queries are measured on an idle engine: every other subscriber keeping a checkpoint in the file
    // (the p2p process manager) must have reached the head too, or its catch-up shares the CPU with them.
    for (;;) {
      const behind = probe.allCheckpoints().filter((c) => !c.name.endsWith('__rebuild') && c.position < head);
      if (!behind.length) break;
      if (engine.child.exitCode !== null) throw new Error('engine exited during catch-up');
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now();
        console.log(`  other subscribers catching up: ${behind.map((c) => `${c.name} ${c.position}`).join(', ')}`);
      }
      await sleep(100);
    }
    catchUp.allSubscribersSeconds = (performance.now() - started) / 1000;
    if (catchUp.allSubscribersSeconds - catchUpSeconds > 1) console.log(`every subscriber caught up after ${catchUp.allSubscribersSeconds.toFixed(1)} s`);
    const idleCpu = engineCpuMs(engine.pid);
    await sleep(2000);
    catchUp.idleCpuPercent = ((engineCpuMs(engine.pid) - idleCpu) / 2000) * 100;
    console.log(`engine CPU while idle: ${catchUp.idleCpuPercent.toFixed(1)}% of a core`);

    for (const query of QUERIES) {
      if (ONLY && !ONLY.includes(query.key)) continue;
      const samplePath = query.path.replace('{customer}', customerId(0, seed.tag));
      const response = await fetch(engine.url + samplePath, { headers: engine.headers });
      const text = await response.text();
      if (response.status !== 200) {
        console.log(`  ${query.name}: HTTP ${response.status} ${text.slice(0, 160)}; skipped`);
        results[query.key] = { name: query.name, unavailable: `HTTP ${response.status}` };
        continue;
      }
      console.log(`  ${query.name}: ${text.length} bytes, e.g. ${text.slice(0, 120)}...`);
      await runLoad({ url: engine.url, connections: CONNECTIONS, duration: Math.max(1, Math.round(seconds / 5)), path: query.path, headers: engine.headers, customers: seed.customers, customerTag: seed.tag, pick: 'random' });
      const cpuBefore = engineCpuMs(engine.pid);
      const run = await runLoad({ url: engine.url, connections: CONNECTIONS, duration: seconds, path: query.path, headers: engine.headers, customers: seed.customers, customerTag: seed.tag, pick: 'random' });
      // engine CPU (user + system) per answered request: what the engine spends, whatever else shares the machine
      const cpuMsPerRequest = (engineCpuMs(engine.pid) - cpuBefore) / Math.max(1, run.requests);
      results[query.key] = { name: query.name, path: query.path, responseBytes: text.length, cpuMsPerRequest, ...run };
    }
  } finally {
    probe.close();
    if (engine) engine.peakMB = await engine.stop();
    if (seeded.owned) removeDir(seeded.dir);
  }

  table(`queries at ${seed.transfers} transfers / ${seed.customers} customers (${CONNECTIONS} connections, ${seconds} s each)`, [
    ...QUERIES.map((q) => {
      const r = results[q.key];
      if (!r || r.unavailable) return { query: q.name, 'req/s': r?.unavailable ?? 'n/a' };
      return {
        query: q.name,
        'req/s': r.requestsPerSecond,
        'p50 ms': r.latencyMs.p50,
        'p95 ms': r.latencyMs.p95,
        'p99 ms': r.latencyMs.p99,
        'max ms': r.latencyMs.max,
        'engine CPU ms/req': Math.round(r.cpuMsPerRequest * 1000) / 1000,
        non2xx: r.non2xx + r.errors + r.timeouts,
      };
    }),
  ]);
  console.log(`\nseeding ${seed.events} events: ${seed.seconds.toFixed(1)} s (${Math.round(seed.eventsPerSecond)} events/s)${seeded.reused ? ' [earlier]' : ''}`);
  console.log(`projection catch-up on engine start: ${catchUp.seconds.toFixed(1)} s (${Math.round(catchUp.eventsPerSecond)} events/s); every subscriber: ${catchUp.allSubscribersSeconds.toFixed(1)} s`);
  console.log(`engine peak RSS ${engine.peakMB} MB`);

  const p95 = (key) => (results[key]?.unavailable ? results[key].unavailable : results[key]?.latencyMs.p95);
  const errors = QUERIES.reduce((n, q) => n + (results[q.key]?.latencyMs ? results[q.key].non2xx + results[q.key].errors + results[q.key].timeouts : 0), 0);
  const targets = [
    target('listing by customer p95', p95('listingByCustomer'), '<=', 10, ' ms'),
    target('listing filtered/paged p95', p95('listingFiltered'), '<=', 10, ' ms'),
    target('customer summary p95', p95('summary'), '<=', 10, ' ms'),
    target('histogram p95', p95('histogram'), '<=', 10, ' ms'),
    target('query non-2xx + errors', errors, '<=', 0),
    target(`engine peak RSS @${seed.transfers} transfers`, engine.peakMB, '<=', 512, ' MB'),
  ];
  printTargets(targets);
  writeResult('queries', { settings: { connections: CONNECTIONS, durationSeconds: seconds }, seed, catchUp, queries: results, engine: { peakRssMB: engine.peakMB, readySeconds: engine.readySeconds }, targets });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
