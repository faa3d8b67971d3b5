'use strict';
/**
 * Shared helpers of the benchmark suite: scale, machine facts, results files, tables,
 * PASS/FAIL targets, percentiles, child processes that are always stopped on exit.
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const HOST = '127.0.0.1';

/** BENCH_SCALE shrinks (or grows) data sizes; 1 = the sizes the targets are stated for. */
function scale() {
  const raw = process.env.BENCH_SCALE;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`BENCH_SCALE must be a positive number, got "${raw}"`);
  return value;
}

function scaled(n, min = 1) {
  return Math.max(min, Math.round(n * scale()));
}

/** Seconds for one load run: BENCH_DURATION wins; otherwise 20 s at full scale, shorter for smoke runs. */
function duration(full = 20) {
  if (process.env.BENCH_DURATION) return Math.max(1, Number(process.env.BENCH_DURATION));
  const s = scale();
  return s >= 1 ? full : Math.max(2, Math.round(full * Math.sqrt(s)));
}

function gitCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

function machine() {
  const cpus = os.cpus();
  let sqlite = 'unknown';
  try {
    const Database = require('better-sqlite3');
    const db = new Database(':memory:');
    sqlite = db.prepare('select sqlite_version() as v').get().v;
    db.close();
  } catch {
    /* not built */
  }
  return {
    cores: cpus.length,
    cpuModel: cpus[0] ? cpus[0].model : 'unknown',
    memoryMB: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    sqlite,
    gitCommit: gitCommit(),
    scale: scale(),
  };
}

function writeResult(scenario, payload) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${scenario}.json`);
  const body = { scenario, finishedAt: new Date().toISOString(), machine: machine(), ...payload };
  fs.writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
  console.log(`\nresults written to ${path.relative(ROOT, file)}`);
  return file;
}

function readResult(scenario) {
  const file = path.join(RESULTS_DIR, `${scenario}.json`);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Prints rows (array of objects) as an aligned text table. */
function table(title, rows) {
  if (title) console.log(`\n${title}`);
  if (!rows.length) return;
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (v) => (v === undefined || v === null ? '' : typeof v === 'number' ? fmt(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values) => values.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(columns.map((c) => cell(row[c]))));
}

function fmt(n) {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/**
 * A target: `value op limit`. Returns a row for the PASS/FAIL table. A missing value
 * (scenario could not measure it) is a FAIL with the reason.
 */
function target(name, value, op, limit, unit = '', note) {
  let pass = false;
  if (typeof value === 'number' && Number.isFinite(value)) pass = op === '>=' ? value >= limit : value <= limit;
  return {
    target: name,
    measured: typeof value === 'number' ? `${fmt(value)}${unit}` : value === undefined ? 'n/a' : String(value),
    limit: `${op} ${fmt(limit)}${unit}`,
    result: pass ? 'PASS' : 'FAIL',
    ...(note ? { note } : {}),
  };
}

function printTargets(rows) {
  table('targets', rows);
}

/** Exact percentile of an unsorted numeric array (nearest rank). */
function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function summarize(values) {
  if (!values.length) return { count: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: sorted.length, mean: sum / sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1] };
}

// ---------------------------------------------------------------- child processes

const children = new Set();
/** temp folders removed when this process exits, however it exits (unless BENCH_KEEP_DATA) */
const tempDirs = new Set();

function tempDir(prefix) {
  installCleanup();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `loyalty-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}
let cleanupInstalled = false;
let stopping = false;
/** true once a signal asked this process to stop */
function isStopping() {
  return stopping;
}

function killTree(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    // children are started detached in their own process group: end the whole group
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function installCleanup() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = () => {
    for (const child of children) killTree(child, 'SIGKILL');
    for (const dir of tempDirs) if (!process.env.BENCH_KEEP_DATA) fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killAll);
  // On a signal, ask first: a child that is itself a harness (run-all -> scenario) then stops its own children.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      const pending = [...children];
      for (const child of pending) killTree(child, 'SIGTERM');
      const force = setTimeout(() => process.exit(130), 8_000);
      Promise.all(pending.map((child) => child.exited)).then(() => {
        clearTimeout(force);
        process.exit(130);
      });
    });
  }
  process.on('uncaughtException', (error) => {
    console.error(error);
    killAll();
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    console.error(error);
    killAll();
    process.exit(1);
  });
}

/**
 * Starts a child process in its own process group; it is killed when this process exits,
 * however it exits. Returns the ChildProcess with `stop()` (SIGTERM, then SIGKILL after a grace).
 */
function startChild(command, args, options = {}) {
  installCleanup();
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.exited.then(() => children.delete(child));
  child.stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exited;
    killTree(child, 'SIGTERM');
    const timer = setTimeout(() => killTree(child, 'SIGKILL'), graceMs);
    const result = await child.exited;
    clearTimeout(timer);
    return result;
  };
  return child;
}

/** Runs a child to completion, collecting stdout; rejects on a non-zero exit. */
function runChild(command, args, options = {}) {
  const child = startChild(command, args, { ...options, stdio: ['ignore', 'pipe', options.inheritStderr === false ? 'pipe' : 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (options.echo) process.stdout.write(chunk);
  });
  return child.exited.then(({ code, signal }) => {
    if (code !== 0) throw new Error(`${path.basename(args[args.length - 1] ?? command)} exited with ${code ?? signal}`);
    return out;
  });
}

/** Node with TypeScript support, as `npm start` runs the engine. */
const TS_NODE_ARGS = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];

/** Peak (VmHWM) and current (VmRSS) resident set of a process, in MB; undefined if it is gone. */
function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => {
      const m = status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
      return m ? Number(m[1]) : undefined;
    };
    return { peakMB: kb('VmHWM') / 1024, rssMB: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

/** Samples a process's memory every `everyMs`; `peakMB()` is the largest VmHWM seen (kept after it exits). */
function memorySampler(pid, everyMs = 500) {
  let peak = 0;
  const sample = () => {
    const m = memoryOf(pid);
    // a process that has just exited still has a status file, without the Vm lines: NaN must not replace the peak
    if (m) peak = Math.max(peak, ...[m.peakMB, m.rssMB].filter(Number.isFinite));
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    peakMB: () => {
      sample();
      return Math.round(peak * 10) / 10;
    },
    stop: () => {
      sample();
      clearInterval(timer);
      return Math.round(peak * 10) / 10;
    },
  };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  const net = require('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Deterministic, valid (v4-shaped) uuid for customer number `n` of a run tag. */
function customerId(n, tag = 0) {
  const hex = n.toString(16).padStart(12, '0');
  const t = (tag >>> 0).toString(16).padStart(8, '0');
  return `${t}-b000-4000-8000-${hex}`;
}

module.exports = {
  ROOT,
  RESULTS_DIR,
  HOST,
  TS_NODE_ARGS,
  scale,
  scaled,
  duration,
  machine,
  writeResult,
  readResult,
  table,
  fmt,
  target,
  printTargets,
  percentile,
  summarize,
  startChild,
  tempDir,
  isStopping,
  runChild,
  memoryOf,
  memorySampler,
  sleep,
  freePort,
  customerId,
};
