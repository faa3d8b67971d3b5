'use strict';
/**
 * Where the engine's main thread spends its time per request: a V8 .cpuprofile (`node --cpu-prof`,
 * BENCH_CPU_PROF=1) cut to one load window and split into the layers of a request.
 *   node bench/lib/cpu-profile-breakdown.js <file.cpuprofile> [--from <µs>] [--to <µs>] [--requests <n>]
 * --from/--to are CLOCK_MONOTONIC microseconds (what `process.hrtime` gives any process on the
 * machine, and the profile's own timestamps); bench/commands.js records them around each load run.
 *
 * Each sample goes to the layer of the innermost frame that names one (walking from the leaf up),
 * so sqlite work inside the projector counts as projections and class-validator inside Nest's pipe
 * as validation. The profile samples the main thread's wall time (a blocking fsync counts, other
 * threads do not): compare the busy total with the /proc CPU figure of the same run.
 */
const fs = require('node:fs');

/** Layers, each tested against one frame: { functionName, url }. First match up the stack wins. */
const LAYERS = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
  ['projections (in-process, after each commit)', (f) =>
    /read-models\/src\/(sqlite\/sqlite-projection-store|projection-runner|projection\.|projections\/)/.test(f.url) ||
    /sqlite-subscription/.test(f.url) ||
    (/sqlite-event-store/.test(f.url) && f.functionName === 'readAllAfter')],
  ['command: load, decide, evolve', (f) =>
    (/sqlite-event-store/.test(f.url) && f.functionName === 'readStream') ||
    /libs\/(engine|ledger)\/src\//.test(f.url) ||
    /@nestjs\/cqrs\//.test(f.url)],
  ['event append + commit (fsync)', (f) => /event-store\/src\//.test(f.url)],
  ['validation (class-transformer, class-validator)', (f) =>
    /(class-validator|class-transformer)\//.test(f.url) ||
    /@nestjs\/common\/pipes\/validation\.pipe/.test(f.url) ||
    /apps\/api\/src\/(http\/(validation|points\.validator)|.*\.dto)/.test(f.url)],
  ['throttler', (f) => /throttler/.test(f.url)],
  ['auth (bearer token, client, store)', (f) => /libs\/auth\/src\//.test(f.url) || /\/(passport[^/]*|jsonwebtoken|jws|jwa|@nestjs\/jwt)\//.test(f.url)],
  ['async_hooks (AsyncLocalStorage, AsyncResource)', (f) => /^node:(internal\/)?async_hooks$/.test(f.url)],
  ['Nest pipeline (router, guards, pipes, controller)', (f) =>
    /@nestjs\/(core|common|platform-fastify)\//.test(f.url) || /\/(rxjs|reflect-metadata)\//.test(f.url) || /apps\/api\/src\//.test(f.url)],
  ['HTTP (node:http, Fastify, JSON)', (f) =>
    /\/(fastify|@fastify\/[^/]+|find-my-way|secure-json-parse|fast-json-stringify|light-my-request|avvio)\//.test(f.url) ||
    /^node:(_http_|net|internal\/(streams|http|stream_base_commons|net)|events|buffer|stream)/.test(f.url)],
];
const OTHER = 'other';
const BUSY_EXCLUDES = new Set(['idle']);

/**
 * Milliseconds of main-thread time per layer within [fromUs, toUs] (whole profile when not given),
 * and per request when `requests` is given.
 */
function breakdown(file, { fromUs, toUs, requests } = {}) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const layerOf = new Map();
  const classify = (id) => {
    let known = layerOf.get(id);
    if (known) return known;
    known = OTHER;
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at).callFrame;
      const hit = LAYERS.find(([, test]) => test(frame));
      if (hit) {
        known = hit[0];
        break;
      }
    }
    layerOf.set(id, known);
    return known;
  };
  const us = new Map();
  let t = profile.startTime;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if ((fromUs !== undefined && t < fromUs) || (toUs !== undefined && t > toUs)) return;
    const layer = classify(id);
    us.set(layer, (us.get(layer) ?? 0) + delta);
    total += delta;
  });
  const layers = [...LAYERS.map(([name]) => name), OTHER]
    .filter((name) => us.has(name))
    .map((name) => ({
      layer: name,
      ms: us.get(name) / 1000,
      share: total ? us.get(name) / total : 0,
      ...(requests ? { msPerRequest: us.get(name) / 1000 / requests } : {}),
    }));
  const busyUs = [...us.entries()].filter(([name]) => !BUSY_EXCLUDES.has(name)).reduce((sum, [, v]) => sum + v, 0);
  return { windowMs: total / 1000, busyMs: busyUs / 1000, ...(requests ? { busyMsPerRequest: busyUs / 1000 / requests } : {}), layers };
}

function print(title, result) {
  console.log(`\n${title}: ${result.windowMs.toFixed(0)} ms of main thread, busy ${result.busyMs.toFixed(0)} ms` +
    (result.busyMsPerRequest !== undefined ? ` (${result.busyMsPerRequest.toFixed(3)} ms per request)` : ''));
  for (const row of [...result.layers].sort((a, b) => b.ms - a.ms)) {
    const perRequest = row.msPerRequest !== undefined ? `${row.msPerRequest.toFixed(3).padStart(7)} ms/req  ` : '';
    console.log(`${(row.share * 100).toFixed(1).padStart(5)}%  ${perRequest}${row.layer}`);
  }
}

if (require.main === module) {
  const [file, ...rest] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/lib/cpu-profile-breakdown.js <file.cpuprofile> [--from <µs>] [--to <µs>] [--requests <n>]');
    process.exit(2);
  }
  const option = (name) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? Number(rest[i + 1]) : undefined;
  };
  print(file, breakdown(file, { fromUs: option('from'), toUs: option('to'), requests: option('requests') }));
}

module.exports = { breakdown, print, LAYERS };
