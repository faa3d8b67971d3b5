/**
 * One worker thread of a parallel rebuild (see SqliteProjectionStore.replayInWorkers): replays the log
 * up to `until` for its share of the engine's projections into a private scratch SQLite file, so the
 * live file only takes a copy of finished tables in key order.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from '@app/event-store/sqlite/sqlite-database';
import { SqliteEventStore } from '@app/event-store/sqlite/sqlite-event-store';
import type { GlobalPosition } from '@app/event-store/event-store.port';
import { ALL_PROJECTIONS } from '../projection-runner';
import { SqliteProjectionStore } from './sqlite-projection-store';

export interface RebuildWorkerData {
  livePath: string;
  scratchPath: string;
  names: string[];
  until: GlobalPosition;
  batchSize: number;
  cacheMiB: number;
}

export type RebuildWorkerMessage = { kind: 'progress'; done: number } | { kind: 'done'; position: GlobalPosition; events: number };

const START: GlobalPosition = -1;

async function replay(data: RebuildWorkerData): Promise<void> {
  const projections = data.names.map((name) => {
    const projection = ALL_PROJECTIONS.find((candidate) => candidate.name === name);
    if (!projection) throw new Error(`a rebuild worker knows no projection ${name}`);
    return projection;
  });
  const live = openSqlite(data.livePath);
  const events = new SqliteEventStore(live);
  const scratch = new Database(data.scratchPath);
  try {
    // a private file deleted whatever happens (a failed batch fails the whole rebuild): nothing to journal
    // or sync, one connection. better-sqlite3's defensive mode refuses journal_mode=OFF, hence unsafe mode.
    scratch.unsafeMode(true);
    scratch.pragma('journal_mode = OFF');
    scratch.unsafeMode(false);
    scratch.pragma('synchronous = OFF');
    scratch.pragma('locking_mode = EXCLUSIVE');
    scratch.pragma(`cache_size = -${Math.trunc(data.cacheMiB * 1024)}`);
    const store = new SqliteProjectionStore(scratch, { relaxedSync: false, rebuildCacheMiB: data.cacheMiB });
    for (const projection of projections) await store.prepareRebuild(projection);
    let after = START;
    let done = 0;
    while (after < data.until) {
      const read = await events.readAll({ after, maxCount: data.batchSize });
      const batch = read.length && read[read.length - 1].position > data.until ? read.filter((event) => event.position <= data.until) : read;
      if (!batch.length) break;
      const results = store.applyBatchesNow(
        projections.map((projection) => ({ projection, expectedAfter: after })),
        batch,
        'rebuild',
      );
      for (const result of results) if (result.error !== undefined) throw result.error;
      after = batch[batch.length - 1].position;
      done += batch.length;
      parentPort?.postMessage({ kind: 'progress', done } satisfies RebuildWorkerMessage);
    }
    // no secondary index here: the live file builds its own from the copied rows (indexes cannot be copied
    // without holding its write lock for a whole table, see SqliteProjectionStore.copyFromScratch)
    parentPort?.postMessage({ kind: 'done', position: after, events: done } satisfies RebuildWorkerMessage);
  } finally {
    scratch.close();
    await events.close();
    live.close();
  }
}

void replay(workerData as RebuildWorkerData).catch((error) => {
  // rethrown outside the promise: the parent's 'error' event gets it, and the thread ends
  setImmediate(() => {
    throw error;
  });
});
