'use strict';
/**
 * Starting what the benchmarks measure: the engine as a user starts it (embedded profile,
 * `npm start` = `nest build api && node dist/apps/api/src/main.js`; BENCH_ENGINE=ts-node runs
 * `node -r ts-node/register/transpile-only -r tsconfig-paths/register apps/api/src/main.ts` instead), the bare-http baseline, and autocannon load in its own process.
 * Everything binds 127.0.0.1 and is stopped when the harness exits, also on failure.
 */
const fs = require('node:fs');
const path = require('node:path');
const { HOST, ROOT, TS_NODE_ARGS, freePort, memorySampler, runChild, sleep, startChild, tempDir } = require('./common');

const MAIN = path.join(ROOT, 'apps', 'api', 'src', 'main.ts');
const COMPILED_MAIN = path.join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
/** `npm start` builds and runs the compiled engine; BENCH_ENGINE=ts-node runs the sources instead */
const USE_TS_NODE = process.env.BENCH_ENGINE === 'ts-node';

/** `nest build api`, as `npm start` does, once per bench run (run-all builds and sets BENCH_BUILT=1). */
async function ensureBuilt() {
  if (USE_TS_NODE || process.env.BENCH_BUILT === '1') return;
  console.log('building the engine (nest build api, as npm start does)');
  await runChild(process.execPath, [path.join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build', 'api'], { echo: true });
  if (!fs.existsSync(COMPILED_MAIN)) throw new Error(`nest build api did not produce ${path.relative(ROOT, COMPILED_MAIN)}`);
  process.env.BENCH_BUILT = '1';
}
const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef';
const STORE = 'DEFAULT';

function engineAvailable() {
  return fs.existsSync(MAIN);
}


function removeDir(dir) {
  if (!dir || process.env.BENCH_KEEP_DATA) return;
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Waits until `probe()` resolves true, polling; rejects after timeoutMs or when `child` dies. */
async function waitUntil(probe, { timeoutMs, child, what }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${what}: process exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    try {
      if (await probe()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Starts the engine on a fresh port over `dataDir`. With BENCH_CPU_PROF=1 it runs under
 * `node --cpu-prof` and writes its profile into bench/results/profiles on stop.
 */
async function startEngine({ dataDir, label = 'engine', env = {}, readyTimeoutMs = 180_000 } = {}) {
  if (!engineAvailable()) throw new Error(`the engine is not there yet (${path.relative(ROOT, MAIN)} missing)`);
  await ensureBuilt();
  const port = await freePort();
  const logFile = path.join(dataDir, `${label}.log`);
  fs.mkdirSync(dataDir, { recursive: true });
  const log = fs.openSync(logFile, 'a');
  const profileDir = path.join(ROOT, 'bench', 'results', 'profiles');
  const profiling = process.env.BENCH_CPU_PROF === '1';
  const profileName = `${label}-${Date.now()}.cpuprofile`;
  const nodeArgs = [
    ...(profiling ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${profileName}`, '-r', path.join(__dirname, 'exit-on-sigusr2.js')] : []),
    ...(USE_TS_NODE ? [...TS_NODE_ARGS, MAIN] : [COMPILED_MAIN]),
  ];
  if (profiling) fs.mkdirSync(profileDir, { recursive: true });
  const started = performance.now();
  const child = startChild(process.execPath, nodeArgs, {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOYALTY_PROFILE: 'embedded',
      HOST,
      PORT: String(port),
      LOYALTY_DATA_DIR: dataDir,
      LOYALTY_BOOTSTRAP_CLIENT_ID: CLIENT_ID,
      LOYALTY_BOOTSTRAP_CLIENT_SECRET: CLIENT_SECRET,
      // the per-client throttle (default 6,000/min) would answer 429 to the load: the bench measures
      // the engine's capacity, so it lifts the limit unless told otherwise
      LOYALTY_RATE_LIMIT_PER_MINUTE: process.env.LOYALTY_RATE_LIMIT_PER_MINUTE ?? '1000000000',
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const memory = memorySampler(child.pid, 250);
  const url = `http://${HOST}:${port}`;
  let token;
  try {
    await waitUntil(
      async () => {
        token = await fetchToken(url);
        return true;
      },
      { timeoutMs: readyTimeoutMs, child, what: `${label} (log: ${logFile})` },
    );
  } catch (error) {
    await child.stop();
    process.stderr.write(tail(logFile));
    throw error;
  }
  const readySeconds = (performance.now() - started) / 1000;
  return {
    url,
    port,
    pid: child.pid,
    child,
    dataDir,
    dbPath: path.join(dataDir, 'loyalty.db'),
    logFile,
    token,
    readySeconds,
    headers: { authorization: `Bearer ${token}` },
    memory,
    /** with BENCH_CPU_PROF=1, where the engine's CPU profile is written when it stops */
    profilePath: profiling ? path.join(profileDir, profileName) : undefined,
    /** stops the engine (SIGTERM; a profiling run first writes its profile) and returns its peak RSS in MB */
    async stop() {
      if (profiling && child.exitCode === null) {
        try {
          process.kill(child.pid, 'SIGUSR2');
        } catch {
          /* gone */
        }
        await Promise.race([child.exited, sleep(15_000)]);
      }
      const peak = memory.stop();
      await child.stop();
      return peak;
    },
  };
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') + '\n';
  } catch {
    return '';
  }
}

async function fetchToken(url) {
  const response = await fetch(`${url}/api/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
  });
  if (response.status !== 200) throw new Error(`token: HTTP ${response.status}`);
  const body = await response.json();
  return body.access_token;
}

async function startBaseline() {
  const port = await freePort();
  const child = startChild(process.execPath, [path.join(__dirname, 'baseline-server.js')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`baseline exited with ${code}`)));
  });
  const memory = memorySampler(child.pid, 250);
  return {
    url: `http://${HOST}:${port}`,
    pid: child.pid,
    child,
    async stop() {
      const peak = memory.stop();
      await child.stop();
      return peak;
    },
  };
}

/**
 * Runs autocannon in its own process (bench/lib/load.js) and returns its JSON summary.
 * `startLoad` returns the running child plus a promise of the summary, for load in the background.
 */
function startLoad(config) {
  let cancelled = false;
  const promise = runChild(process.execPath, [path.join(__dirname, 'load.js'), JSON.stringify(config)]).then((out) => {
    const line = out.trim().split('\n').pop();
    return JSON.parse(line);
  });
  return { promise, cancel: () => (cancelled = true) && undefined };
}

function runLoad(config) {
  return startLoad(config).promise;
}

/** Body of an add/spend request in the Open Loyalty dialect, templated on `{customer}`. */
function transferBody(points) {
  return JSON.stringify({ transfer: { customer: '{customer}', points } });
}

module.exports = {
  CLIENT_ID,
  CLIENT_SECRET,
  STORE,
  MAIN,
  engineAvailable,
  ensureBuilt,
  tempDir,
  removeDir,
  startEngine,
  startBaseline,
  startLoad,
  runLoad,
  fetchToken,
  transferBody,
  waitUntil,
};
