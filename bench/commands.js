'use strict';
/**
 * Scenario 1, commands: add points across 10,000 customers, then spend, 64 connections, 20 s each,
 * against the engine over HTTP; the same load against a bare Node http server as the baseline.
 * Then the floor: the same engine under the same load answering its cheapest authenticated route
 * (GET the store's settings: Fastify, the Nest pipeline, throttler and bearer guard, a cached answer),
 * which tells how much of a command's cost is the HTTP/Nest stack itself.
 * BENCH_PROJECTOR=process runs the projections in their own process over the same file, as a
 * deployment can (`LOYALTY_RUN_PROJECTOR=false npm start` beside `npm run start:projector`), and
 * prints that process's CPU per request too.
 */
const path = require('node:path');
const { ROOT, customerId, duration, printTargets, runChild, scaled, startChild, table, target, writeResult } = require('./lib/common');
const { breakdown, print: printBreakdown } = require('./lib/cpu-profile-breakdown');
const { STORE, engineAvailable, removeDir, runLoad, startBaseline, startEngine, tempDir, transferBody } = require('./lib/engine');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const PROJECTOR_PROCESS = process.env.BENCH_PROJECTOR === 'process';

async function main() {
  const customers = scaled(10_000, 10);
  const seconds = duration(20);
  const warmupSeconds = Math.max(1, Math.round(seconds / 5));
  const tag = Date.now() % 0xffffffff;
  console.log(`commands: ${customers} customers, ${CONNECTIONS} connections, ${seconds} s per run (warm-up ${warmupSeconds} s)`);

  const addPath = `/api/${STORE}/points/transfer/add`;
  const spendPath = `/api/${STORE}/points/transfer/spend`;
  const floorPath = `/api/${STORE}/settings`;
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
  const engine = await startEngine({ dataDir, label: 'commands', env: PROJECTOR_PROCESS ? { LOYALTY_RUN_PROJECTOR: 'false' } : {} });
  const projector = PROJECTOR_PROCESS ? await startProjector(dataDir) : undefined;
  let warmup, add, spend, floor, engineDataMB;
  /** a measured load: its engine CPU per request from /proc and its window on the monotonic clock (for the profile) */
  const measured = async (config) => {
    const cpu = cpuMeter(engine.pid);
    const projectorCpu = projector && cpuMeter(projector.pid);
    const fromUs = monotonicMicros();
    const run = await runLoad({ url: engine.url, connections: CONNECTIONS, duration: seconds, headers: engine.headers, ...config });
    run.window = { fromUs, toUs: monotonicMicros() };
    run.engineCpuMsPerRequest = cpu.msPer(run.requests);
    if (projectorCpu) run.projectorCpuMsPerRequest = projectorCpu.msPer(run.requests);
    return run;
  };
  try {
    // warm-up opens accounts and warms the JIT; not counted
    warmup = await load(engine.url, engine.headers, addPath, transferBody(10), warmupSeconds);
    add = await measured({ method: 'POST', path: addPath, body: transferBody(10), customers, customerTag: tag });
    // adds run round-robin from customer 0: spend only over customers that surely got 10 points
    // (1 point per spend), so no spend may be refused
    const credited = Math.min(customers, Math.max(warmup.statusCodes['200'] ?? 0, add.statusCodes['200'] ?? 0));
    spend = await measured({ method: 'POST', path: spendPath, body: transferBody(1), customers: Math.max(1, credited), customerTag: tag });
    spend.customers = credited;
    // the floor: same process, same load, the cheapest route with the whole pipeline and bearer auth
    await runLoad({ url: engine.url, connections: CONNECTIONS, duration: warmupSeconds, method: 'GET', path: floorPath, headers: engine.headers });
    floor = await measured({ method: 'GET', path: floorPath });
    floor.route = `GET ${floorPath}`;
  } finally {
    await projector?.stop();
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
    ...(PROJECTOR_PROCESS ? { 'projector CPU ms/req': run.projectorCpuMsPerRequest ?? '' } : {}),
    requests: run.requests,
    non2xx: run.non2xx,
    errors: run.errors + run.timeouts,
  });
  table(`commands (${CONNECTIONS} connections, ${seconds} s${PROJECTOR_PROCESS ? ', projections in their own process' : ''})`, [
    row('baseline (bare http)', baselineRun),
    row('add points', add),
    row('spend points', spend),
    row('floor: GET settings', floor),
  ]);
  const addRatio = add.requestsPerSecond / baselineRun.requestsPerSecond;
  const spendRatio = spend.requestsPerSecond / baselineRun.requestsPerSecond;
  const floorRatio = floor.requestsPerSecond / baselineRun.requestsPerSecond;
  console.log(`\nratio engine/baseline: add ${(addRatio * 100).toFixed(1)}%, spend ${(spendRatio * 100).toFixed(1)}%, floor ${(floorRatio * 100).toFixed(1)}%`);
  if (add.engineCpuMsPerRequest && floor.engineCpuMsPerRequest) {
    const share = floor.engineCpuMsPerRequest / add.engineCpuMsPerRequest;
    console.log(
      `floor (${floor.route}: HTTP, Nest pipeline, throttler, bearer auth, no body, no command): ${floor.engineCpuMsPerRequest.toFixed(3)} ms CPU/req, ` +
        `${(share * 100).toFixed(0)}% of an add's ${add.engineCpuMsPerRequest.toFixed(3)} ms`,
    );
  }
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
  const profile = profileBreakdowns(engine.profilePath, { add, spend, floor });
  writeResult('commands', {
    settings: { customers, connections: CONNECTIONS, durationSeconds: seconds, warmupSeconds, sampleCustomer: customerId(0, tag), projector: PROJECTOR_PROCESS ? 'process' : 'in-engine' },
    baseline: { ...baselineRun, peakRssMB: baselinePeak },
    warmup,
    add,
    spend,
    floor,
    ratio: { add: addRatio, spend: spendRatio, floor: floorRatio },
    ...(profile ? { profile } : {}),
    engine: { peakRssMB: engine.peakMB, readySeconds: engine.readySeconds, dataMB: engineDataMB },
    targets,
  });
}

/** The projector app (`npm run start:projector`) over the engine's data folder; resolves once it runs. */
async function startProjector(dataDir) {
  const main = path.join(ROOT, 'dist', 'apps', 'projector', 'src', 'main.js');
  await runChild(process.execPath, [path.join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build', 'projector']);
  const child = startChild(process.execPath, [main], {
    env: { ...process.env, NODE_ENV: 'production', LOYALTY_PROFILE: 'embedded', LOYALTY_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('profile: running')) resolve();
    });
    child.exited.then(({ code, signal }) => reject(new Error(`the projector exited with ${code ?? signal}`)));
  });
  child.stdout.resume();
  return child;
}

/** CLOCK_MONOTONIC in µs: the clock of the engine's CPU profile samples, whichever process reads it. */
function monotonicMicros() {
  return Number(process.hrtime.bigint() / 1000n);
}

/** With BENCH_CPU_PROF=1: the engine's main-thread time per request, by layer, for each measured run. */
function profileBreakdowns(file, runs) {
  const fs = require('node:fs');
  if (!file || !fs.existsSync(file)) return undefined;
  const out = { file: require('node:path').relative(process.cwd(), file) };
  for (const [name, run] of Object.entries(runs)) {
    out[name] = breakdown(file, { ...run.window, requests: run.requests });
    printBreakdown(`profile of ${name} (${run.requests} requests)`, out[name]);
  }
  return out;
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
