'use strict';
/**
 * Scenario 3, replay: rebuild every projection from the seeded log (1,000,000 transfers,
 * 1.1 M events) with the ProjectionRunner, against a plain sequential read of the same events.
 */
const path = require('node:path');
const { TS_NODE_ARGS, memorySampler, printTargets, startChild, table, target, writeResult } = require('./lib/common');
const { removeDir } = require('./lib/engine');
const { ensureSeed } = require('./lib/seeding');

async function main() {
  const seeded = await ensureSeed('replay');
  try {
    const workers = process.env.BENCH_REPLAY_WORKERS ? ['--workers', process.env.BENCH_REPLAY_WORKERS] : [];
    const child = startChild(process.execPath, [...TS_NODE_ARGS, path.join(__dirname, 'lib', 'replay-run.ts'), '--db', seeded.dbPath, ...workers], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const memory = memorySampler(child.pid, 250);
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => (out += chunk));
    const { code } = await child.exited;
    const peakRssMB = memory.stop();
    if (code !== 0) throw new Error(`replay-run exited with ${code}`);
    const run = JSON.parse(out.trim().split('\n').pop());
    const ratio = run.rebuild.eventsPerSecond / run.read.eventsPerSecond;

    table(`replay (${run.events} events, ${run.rebuild.projections} projections)`, [
      { step: 'plain read (readAll pages)', seconds: run.read.seconds, 'events/s': run.read.eventsPerSecond },
      ...run.rebuild.perProjection.map((p) => ({ step: `rebuild ${p.name}`, seconds: p.seconds, 'events/s': p.eventsPerSecond })),
      { step: 'rebuild all (wall)', seconds: run.rebuild.seconds, 'events/s': run.rebuild.eventsPerSecond },
      { step: 'rebuild all (process CPU, every thread)', seconds: run.rebuild.cpuSeconds, 'events/s': run.rebuild.eventsPerCpuSecond },
      { step: '  of which building the views\' indexes', seconds: run.rebuild.indexSeconds, 'events/s': '' },
      ...(run.rebuild.copySeconds !== undefined ? [{ step: '  of which copying the workers\' tables in', seconds: run.rebuild.copySeconds, 'events/s': '' }] : []),
    ]);
    const slowest = [...run.rebuild.perProjection].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[0];
    console.log(`\nreplay/read per CPU-second (holds on a busy machine): ${((run.rebuild.eventsPerCpuSecond / run.read.eventsPerCpuSecond) * 100).toFixed(1)}%; rebuild workers: ${run.rebuild.workers}`);
    console.log(`ratio replay/read: ${(ratio * 100).toFixed(1)}% (slowest projection: ${slowest?.name}, ${Math.round(slowest?.eventsPerSecond ?? 0)} events/s)`);
    console.log(`replay process peak RSS ${peakRssMB} MB`);
    if (!seeded.reused) console.log(`seeding: ${seeded.seed.events} events in ${seeded.seed.seconds.toFixed(1)} s (${Math.round(seeded.seed.eventsPerSecond)} events/s)`);

    const targets = [
      target('replay events/s (all projections)', run.rebuild.eventsPerSecond, '>=', 50_000),
      target('replay / plain read', ratio * 100, '>=', 30, '%'),
    ];
    printTargets(targets);
    writeResult('replay', { seed: seeded.seed, ...run, ratio, process: { peakRssMB }, targets });
  } finally {
    if (seeded.owned) removeDir(seeded.dir);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
