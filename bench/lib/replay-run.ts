/**
 * Replay measurement, in-process over the libs (no HTTP):
 *  1. baseline: a plain sequential read of every event through the event store port
 *     (`readAll` in pages of `page` events, as the rebuild reads them), after one untimed pass
 *     that warms the page cache;
 *  2. `new ProjectionRunner(new SqliteEventStore(db), new SqliteProjectionStore(db)).rebuild('all', onProgress)`.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/lib/replay-run.ts --db <file> [--page 5000] [--workers N]
 * (--workers: the runner's rebuildWorkers; 0 replays on this thread). Reports wall time and process CPU.
 * Prints progress on stderr and one JSON line on stdout.
 */
import { openSqlite, SqliteEventStore, START } from '@app/event-store';
import { ProjectionRunner, SqliteProjectionStore } from '@app/read-models';
import type { RebuildProgress } from '@app/read-models';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

async function plainRead(store: SqliteEventStore, page: number): Promise<{ events: number; seconds: number }> {
  const started = performance.now();
  let after = START;
  let events = 0;
  for (;;) {
    const batch = await store.readAll({ after, maxCount: page });
    if (!batch.length) break;
    events += batch.length;
    after = batch[batch.length - 1].position;
  }
  return { events, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const db = openSqlite(arg('db'));
  const page = Number(arg('page', '5000'));
  const events = new SqliteEventStore(db);
  const head = await events.headPosition();

  process.stderr.write('  plain read: warming the page cache\n');
  await plainRead(events, page);
  const readCpuBefore = process.cpuUsage();
  const read = await plainRead(events, page);
  const readCpu = process.cpuUsage(readCpuBefore);
  const readCpuSeconds = (readCpu.user + readCpu.system) / 1e6;
  process.stderr.write(`  plain read: ${read.events} events in ${read.seconds.toFixed(2)} s\n`);

  // --workers 0: the replay on this thread, as before the rebuild went to worker threads
  const workers = process.argv.includes('--workers') ? Number(arg('workers')) : undefined;
  const runner = new ProjectionRunner(events, new SqliteProjectionStore(db), undefined, { rebuildWorkers: workers });
  let lastPrint = 0;
  const onProgress = (p: RebuildProgress): void => {
    const now = performance.now();
    if (now - lastPrint < 2000 && p.done < p.total) return;
    lastPrint = now;
    process.stderr.write(`  rebuild ${p.name}: ${p.done}/${p.total} (${p.eventsPerSecond} events/s, eta ${p.etaSeconds} s)\n`);
  };
  const started = performance.now();
  // process CPU (every thread of it): the figure that holds on a shared machine, where wall time does not
  const cpuBefore = process.cpuUsage();
  const reports = await runner.rebuild('all', onProgress);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await events.close();
  db.close();

  const eventCount = read.events;
  process.stdout.write(
    JSON.stringify({
      head,
      events: eventCount,
      page,
      read: { seconds: read.seconds, eventsPerSecond: eventCount / read.seconds, cpuSeconds: readCpuSeconds, eventsPerCpuSecond: eventCount / readCpuSeconds },
      rebuild: {
        projections: reports.length,
        seconds,
        cpuSeconds,
        eventsPerCpuSecond: eventCount / cpuSeconds,
        // the figure an operator lives with: every projection rebuilt from the whole log
        eventsPerSecond: eventCount / seconds,
        // every projection's indexes are built in the same step, after the replay
        indexSeconds: reports[0]?.indexSeconds ?? 0,
        copySeconds: reports[0]?.copySeconds,
        workers: workers ?? 'default',
        perProjection: reports.map((r) => ({ name: r.name, events: r.events, seconds: r.seconds, eventsPerSecond: r.events / r.seconds })),
      },
    }) + '\n',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
