'use strict';
/**
 * Scenario 1, commands: add points across 10,000 customers, then spend, 64 connections, 20 s each,
 * against the engine over HTTP; the same load against a bare Node http server as the baseline.
 */
const { customerId, duration, printTargets, scaled, table, target, writeResult } = require('./lib/common');
const { STORE, engineAvailable, removeDir, runLoad, startBaseline, startEngine, tempDir, transferBody } = require('./lib/engine');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);

async function main() {
  const customers = scaled(10_000, 10);
  const seconds = duration(20);
  const warmupSeconds = Math.max(1, Math.round(seconds / 5));
  const tag = Date.now() % 0xffffffff;
  console.log(`commands: ${customers} customers, ${CONNECTIONS} connections, ${seconds} s per run (warm-up ${warmupSeconds} s)`);

  const addPath = `/api/${STORE}/points/transfer/add`;
  const spendPath = `/api/${STORE}/points/transfer/spend`;
  const load = (url, headers, path, body, secs) =>
    runLoad({ url, connections: CONNECTIONS, duration: secs, method: 'POST', path, headers, body, customers, customerTag: tag });

  // baseline: same load settings, same request, a server that answers fixed JSON
  const baseline = await startBaseline();
  let baselineRun;
  let baselinePeak;
  try {
    await load(baseline.url, { authorization: 'Bearer x' }, addPath, transferBody(10), warmupSeconds);
    baselineRun = await load(baseline.url, { authorization: 'Bearer x' }, addPath, transferBody(10), seconds);
  } finally {
    baselinePeak = await baseline.stop();
  }

  if (!engineAvailable()) {
    console.log('engine not available: apps/api/src/main.ts is missing');
    writeResult('commands', { error: 'engine not available', baseline: baselineRun });
    process.exitCode = 2;
    return;
  }

  const dataDir = tempDir('commands');
  const engine = await startEngine({ dataDir, label: 'commands' });
  let warmup, add, spend, engineDataMB;
  try {
    // warm-up opens accounts and warms the JIT; not counted
    warmup = await load(engine.url, engine.headers, addPath, transferBody(10), warmupSeconds);
    const addCpu = cpuMeter(engine.pid);
    add = await load(engine.url, engine.headers, addPath, transferBody(10), seconds);
    add.engineCpuMsPerRequest = addCpu.msPer(add.requests);
    // adds run round-robin from customer 0: spend only over customers that surely got 10 points
    // (1 point per spend), so no spend may be refused
    const credited = Math.min(customers, Math.max(warmup.statusCodes['200'] ?? 0, add.statusCodes['200'] ?? 0));
    const spendCpu = cpuMeter(engine.pid);
    spend = await runLoad({ url: engine.url, connections: CONNECTIONS, duration: seconds, method: 'POST', path: spendPath, headers: engine.headers, body: transferBody(1), customers: Math.max(1, credited), customerTag: tag });
    spend.engineCpuMsPerRequest = spendCpu.msPer(spend.requests);
    spend.customers = credited;
  } finally {
    engine.peakMB = await engine.stop();
    engineDataMB = dirSizeMB(dataDir);
    removeDir(dataDir);
  }

  const row = (name, run) => ({
    run: name,
    'req/s': run.requestsPerSecond,
    'p50 ms': run.latencyMs.p50,
    'p99 ms': run.latencyMs.p99,
    'max ms': run.latencyMs.max,
    'engine CPU ms/req': run.engineCpuMsPerRequest,
    requests: run.requests,
    non2xx: run.non2xx,
    errors: run.errors + run.timeouts,
  });
  table(`commands (${CONNECTIONS} connections, ${seconds} s)`, [row('baseline (bare http)', baselineRun), row('add points', add), row('spend points', spend)]);
  const addRatio = add.requestsPerSecond / baselineRun.requestsPerSecond;
  const spendRatio = spend.requestsPerSecond / baselineRun.requestsPerSecond;
  console.log(`\nratio engine/baseline: add ${(addRatio * 100).toFixed(1)}%, spend ${(spendRatio * 100).toFixed(1)}%`);
  console.log(`engine peak RSS ${engine.peakMB} MB, ready in ${engine.readySeconds.toFixed(1)} s; SQLite data ${engineDataMB} MB`);
  if (add.non2xx || spend.non2xx) console.log(`status codes: add ${JSON.stringify(add.statusCodes)}, spend ${JSON.stringify(spend.statusCodes)}`);

  const targets = [
    target('add points req/s', add.requestsPerSecond, '>=', 5000),
    target('add points / baseline', addRatio * 100, '>=', 40, '%'),
    target(`add points p99 @${CONNECTIONS} conn`, add.latencyMs.p99, '<=', 25, ' ms'),
    target('add non-2xx + errors', add.non2xx + add.errors + add.timeouts, '<=', 0),
    target('spend non-2xx + errors', spend.non2xx + spend.errors + spend.timeouts, '<=', 0),
  ];
  printTargets(targets);
  writeResult('commands', {
    settings: { customers, connections: CONNECTIONS, durationSeconds: seconds, warmupSeconds, sampleCustomer: customerId(0, tag) },
    baseline: { ...baselineRun, peakRssMB: baselinePeak },
    warmup,
    add,
    spend,
    ratio: { add: addRatio, spend: spendRatio },
    engine: { peakRssMB: engine.peakMB, readySeconds: engine.readySeconds, dataMB: engineDataMB },
    targets,
  });
}

/**
 * CPU time (user + system, every thread) the engine process spends from now on, from /proc/<pid>/stat;
 * per request it is the figure that matters on a shared machine, where req/s is noisy. Linux only.
 */
function cpuMeter(pid) {
  const fs = require('node:fs');
  const read = () => {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return undefined;
    }
  };
  const ticksPerSecond = 100; // USER_HZ on Linux
  const start = read();
  return {
    msPer(requests) {
      const end = read();
      if (start === undefined || end === undefined || !requests) return undefined;
      return ((end - start) * 1000) / ticksPerSecond / requests;
    },
  };
}

function dirSizeMB(dir) {
  const fs = require('node:fs');
  const path = require('node:path');
  let total = 0;
  try {
    for (const name of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, name)).size;
  } catch {
    /* gone */
  }
  return Math.round(total / 1024 / 1024);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
