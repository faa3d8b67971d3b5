'use strict';
/**
 * Scenario 7, scaling: the commands scenario (add points round-robin over customers, then spend) against
 * the distributed profile on PostgreSQL + MongoDB with 1, 2 and 3 API replicas and one projector, and
 * against the embedded profile in the same run for comparison. Every replica, the projector and each
 * server is its own process; the connections are spread evenly over the replicas (bench/lib/load.js
 * `urls`). Prints req/s, p50/p99 and CPU per request of each kind of process, and the cost of the
 * head query every distributed read makes first (read-your-writes across replicas).
 * Servers: DATABASE_URL and MONGODB_URI when set, else a throwaway PostgreSQL cluster (Debian's
 * binaries, fsync off, as the tests start it) and FerretDB on SQLite, both on loopback.
 */
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, duration, runChild, scaled, startChild, summarize, table, writeResult } = require('./lib/common');
const { STORE, ensureBuilt, removeDir, runLoad, startEngine, tempDir, transferBody } = require('./lib/engine');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const REPLICAS = (process.env.BENCH_REPLICAS ?? '1,2,3').split(',').map(Number);
const TOKEN_KEYS = `bench:${'b'.repeat(48)}`;
const PROJECTOR_MAIN = path.join(ROOT, 'dist', 'apps', 'projector', 'src', 'main.js');

async function main() {
  const customers = scaled(2_000, 10);
  const seconds = duration(8);
  const warmupSeconds = Math.max(1, Math.round(seconds / 4));
  console.log(`scaling: ${customers} customers, ${CONNECTIONS} connections over the replicas, ${seconds} s per run (warm-up ${warmupSeconds} s); replicas ${REPLICAS.join(', ')}`);
  await ensureBuilt();
  await runChild(process.execPath, [path.join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build', 'projector']);

  const runs = [];
  runs.push(await measureEmbedded(customers, seconds, warmupSeconds));
  const servers = await startServers();
  try {
    for (const replicas of REPLICAS) runs.push(await measureDistributed(servers, replicas, customers, seconds, warmupSeconds));
    runs.headQuery = await measureHeadQuery(servers, runs[runs.length - 1].name);
  } finally {
    await dropRuns(servers, runs.map((run) => run.name).filter(Boolean)).catch((error) => console.error(`cleanup: ${error.message}`));
    await servers.stop();
  }

  const rows = [];
  for (const run of runs) {
    for (const kind of ['add', 'spend']) {
      const load = run[kind];
      rows.push({
        setup: run.label,
        run: kind,
        'req/s': load.requestsPerSecond,
        'p50 ms': load.latencyMs.p50,
        'p99 ms': load.latencyMs.p99,
        'API CPU ms/req': load.cpu.api,
        'projector CPU ms/req': load.cpu.projector ?? '',
        'PostgreSQL CPU ms/req': load.cpu.postgres ?? '',
        'FerretDB CPU ms/req': load.cpu.ferretdb ?? '',
        'total CPU ms/req': load.cpu.total,
        'non-2xx + errors': load.non2xx + load.errors + load.timeouts,
      });
    }
  }
  table(`scaling (${CONNECTIONS} connections, ${seconds} s per run, ${require('node:os').cpus().length} cores shared with the load generator)`, rows);
  const head = runs.headQuery;
  console.log(
    `\nhead query before each distributed read (SELECT max(position), ${head.samples} in a row over ${head.events} events): ` +
      `p50 ${head.p50.toFixed(3)} ms, p99 ${head.p99.toFixed(3)} ms; checkpoint read from MongoDB: p50 ${head.checkpointP50.toFixed(3)} ms`,
  );
  writeResult('scaling', { settings: { customers, connections: CONNECTIONS, durationSeconds: seconds, warmupSeconds, replicas: REPLICAS }, runs: [...runs], headQuery: head });
}

/** The embedded profile: one process with the projections in it, the commands scenario's setup. */
async function measureEmbedded(customers, seconds, warmupSeconds) {
  const dataDir = tempDir('scaling-embedded');
  const engine = await startEngine({ dataDir, label: 'embedded' });
  try {
    const run = await commands({ urls: [engine.url], headers: engine.headers, meters: { api: [engine.pid] }, customers, seconds, warmupSeconds });
    return { label: 'embedded (SQLite, 1 process)', ...run };
  } finally {
    await engine.stop();
    removeDir(dataDir);
  }
}

async function measureDistributed(servers, replicas, customers, seconds, warmupSeconds) {
  const name = `scaling_${replicas}_${Date.now() % 1_000_000}`;
  const dataDir = tempDir(`scaling-${replicas}`);
  const env = {
    LOYALTY_PROFILE: 'distributed',
    LOYALTY_EVENT_STORE: 'postgres',
    DATABASE_URL: servers.databaseUrl,
    LOYALTY_POSTGRES_SCHEMA: name,
    MONGODB_URI: servers.mongoUri,
    MONGODB_DATABASE: name,
    LOYALTY_TOKEN_KEYS: TOKEN_KEYS,
  };
  const projector = await startProjector(dataDir, env);
  const engines = [];
  try {
    // one at a time: the first creates the schema and the bootstrap client
    for (let i = 0; i < replicas; i++) engines.push(await startEngine({ dataDir, label: `api-${i + 1}`, env }));
    const run = await commands({
      urls: engines.map((engine) => engine.url),
      headers: engines[0].headers,
      meters: { api: engines.map((engine) => engine.pid), projector: [projector.pid], postgres: servers.postgresPids(), ferretdb: servers.ferretdbPids() },
      customers,
      seconds,
      warmupSeconds,
    });
    return { label: `distributed, ${replicas} API replica${replicas > 1 ? 's' : ''} + projector`, name, replicas, ...run };
  } finally {
    for (const engine of engines) await engine.stop();
    await projector.stop();
    removeDir(dataDir);
  }
}

/** Warm-up, then add and spend as in commands.js, each with the CPU every process spent per request. */
async function commands({ urls, headers, meters, customers, seconds, warmupSeconds }) {
  const tag = Date.now() % 0xffffffff;
  const load = (route, points, secs, over = customers) =>
    runLoad({ urls, connections: CONNECTIONS, duration: secs, method: 'POST', path: `/api/${STORE}/points/transfer/${route}`, headers, body: transferBody(points), customers: over, customerTag: tag });
  const measured = async (route, points, over) => {
    const cpu = Object.fromEntries(Object.entries(meters).map(([kind, pids]) => [kind, cpuMeter(pids)]));
    const run = await load(route, points, seconds, over);
    run.cpu = Object.fromEntries(Object.entries(cpu).map(([kind, meter]) => [kind, meter.msPer(run.requests)]));
    run.cpu.total = Object.values(run.cpu).reduce((total, ms) => total + (ms ?? 0), 0);
    return run;
  };
  const warmup = await load('add', 10, warmupSeconds);
  const add = await measured('add', 10);
  // spend 1 point only from customers that surely got 10, so no spend may be refused
  const credited = Math.min(customers, Math.max(warmup.statusCodes['200'] ?? 0, add.statusCodes['200'] ?? 0));
  const spend = await measured('spend', 1, Math.max(1, credited));
  return { add, spend };
}

/** The projector app, distributed profile; resolves once it has said what it runs. */
async function startProjector(dataDir, env) {
  const logFile = path.join(dataDir, 'projector.log');
  const child = startChild(process.execPath, [PROJECTOR_MAIN], {
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const append = (chunk) => {
    out += chunk;
    fs.appendFileSync(logFile, chunk);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  await new Promise((resolve, reject) => {
    const timer = setInterval(() => out.includes('profile: running') && (clearInterval(timer), resolve()), 100);
    child.exited.then(({ code, signal }) => (clearInterval(timer), reject(new Error(`the projector exited with ${code ?? signal}: ${out}`))));
  });
  return child;
}

/** PostgreSQL and MongoDB for the distributed runs, with the pids whose CPU counts as theirs. */
async function startServers() {
  let databaseUrl = process.env.DATABASE_URL;
  let mongoUri = process.env.MONGODB_URI;
  const stops = [];
  if (!databaseUrl || !mongoUri) {
    require('ts-node').register({ transpileOnly: true, project: path.join(ROOT, 'tsconfig.json') });
    if (!databaseUrl) {
      const { findPostgresBin, startPostgres } = require('../test/support/postgres');
      const bin = findPostgresBin();
      if (!bin) throw new Error('PostgreSQL is not installed (/usr/lib/postgresql/<major>/bin) and DATABASE_URL is not set');
      const postgres = await startPostgres(bin);
      databaseUrl = postgres.url;
      stops.push(() => postgres.stop());
    }
    if (!mongoUri) {
      const { startFerretDb } = require('../test/support/ferretdb');
      const ferret = await startFerretDb();
      mongoUri = ferret.uri;
      stops.push(() => ferret.stop());
    }
  }
  const postgresPort = new URL(databaseUrl).port || '5432';
  const mongoPort = new URL(mongoUri).port || '27017';
  return {
    databaseUrl,
    mongoUri,
    // the postmaster listening on our port, and every backend it forked (found again per run: backends come and go)
    postgresPids: () => {
      const postmaster = processes().find((p) => p.comm === 'postgres' && p.cmdline.includes('-D') && listensOn(p.pid, postgresPort));
      return postmaster ? [postmaster.pid, ...processes().filter((p) => p.ppid === postmaster.pid).map((p) => p.pid)] : [];
    },
    ferretdbPids: () => processes().filter((p) => p.cmdline.includes(`--listen-addr=127.0.0.1:${mongoPort}`)).map((p) => p.pid),
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}

/** Every process of the machine: pid, parent, name, command line (Linux /proc). */
function processes() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(name), ppid, comm, cmdline });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** The postmaster's pid file names its port: the process's data folder holds postmaster.pid with it on line 4. */
function listensOn(pid, port) {
  try {
    const dataDir = fs.readlinkSync(`/proc/${pid}/cwd`);
    return fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[3]?.trim() === String(port);
  } catch {
    return false;
  }
}

/** CPU time (user + system) a set of processes spends from now on, per request; processes gone by the end count what they had. */
function cpuMeter(pids) {
  const read = (pid) => {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return undefined;
    }
  };
  const ticksPerSecond = 100; // USER_HZ on Linux
  const start = new Map(pids.map((pid) => [pid, read(pid)]));
  return {
    msPer(requests) {
      if (!pids.length || !requests) return undefined;
      let ticks = 0;
      for (const [pid, before] of start) ticks += (read(pid) ?? before ?? 0) - (before ?? 0);
      return (ticks * 1000) / ticksPerSecond / requests;
    },
  };
}

/** What the head wait adds to a read: the PostgreSQL head query, and the checkpoint read it comes with. */
async function measureHeadQuery(servers, schema) {
  const { Client } = require('pg');
  const { MongoClient } = require('mongodb');
  const pg = new Client({ connectionString: servers.databaseUrl });
  await pg.connect();
  const mongo = await new MongoClient(servers.mongoUri).connect();
  try {
    const events = Number((await pg.query(`SELECT count(*) AS n FROM ${schema}.events`)).rows[0].n);
    const time = async (samples, once) => {
      const took = [];
      for (let i = 0; i < samples; i++) {
        const started = performance.now();
        await once();
        took.push(performance.now() - started);
      }
      return summarize(took);
    };
    const samples = 2_000;
    await time(100, () => pg.query(`SELECT max(position) AS position FROM ${schema}.events`));
    const head = await time(samples, () => pg.query(`SELECT max(position) AS position FROM ${schema}.events`));
    const checkpoints = mongo.db(schema).collection('projection_checkpoints');
    const names = ['customers', 'accounts', 'lots', 'transfers', 'histogram'];
    const checkpoint = await time(500, () => checkpoints.find({ _id: { $in: names } }).toArray());
    return { samples, events, p50: head.p50, p99: head.p99, checkpointP50: checkpoint.p50 };
  } finally {
    await pg.end();
    await mongo.close();
  }
}

/** Each run's schema and database (they only matter on servers the caller named). */
async function dropRuns(servers, names) {
  const { Client } = require('pg');
  const { MongoClient } = require('mongodb');
  const pg = new Client({ connectionString: servers.databaseUrl });
  await pg.connect();
  const mongo = await new MongoClient(servers.mongoUri).connect();
  try {
    for (const name of names) {
      await pg.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      await mongo.db(name).dropDatabase();
    }
  } finally {
    await pg.end();
    await mongo.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
