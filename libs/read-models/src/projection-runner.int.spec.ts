import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { NewEvent, StoredEvent } from '@app/event-store/event-store.port';
import { openSqlite, SqliteDatabase } from '@app/event-store/sqlite/sqlite-database';
import { SqliteEventStore } from '@app/event-store/sqlite/sqlite-event-store';
import { pointsAccountStream } from '@app/ledger/streams';
import type { CollectionSpec, ViewDocument } from './documents';
import type { Projection, ProjectionContext } from './projection';
import { ALL_PROJECTIONS, ProjectionRunner } from './projection-runner';
import { SqliteProjectionStore, sqliteTableName } from './sqlite/sqlite-projection-store';
import { LedgerSimulation } from './testing/ledger-simulation';

/** The live machinery over a real SQLite file: one subscription, one transaction per wake-up, read-your-writes. */
const PROBED: CollectionSpec = { name: 'probe_seen', fields: { firstCheckpoint: 'integer' }, indexes: [] };
const FRAGILE: CollectionSpec = { name: 'fragile_seen', fields: { type: 'text' }, indexes: [] };

function added(transferId: string): NewEvent {
  return {
    id: randomUUID(),
    type: 'PointsAdded',
    data: { transferId, type: 'adding', points: 100, state: 'active', createdAt: '2026-01-01T00:00:00.000Z' },
    metadata: { tenant: 'acme', storeCode: 'DEFAULT', issuer: 'api' },
  };
}

/** Writes one row per transfer, and throws on the transfer `failOn()` names (after writing its row). */
function fragileProjection(failOn: () => string | undefined): Projection {
  return {
    name: 'fragile',
    collections: [FRAGILE],
    apply(event: StoredEvent, ctx: ProjectionContext): void {
      const transferId = (event.data as { transferId: string }).transferId;
      ctx.change<ViewDocument & { type: string }>(FRAGILE, transferId, event.position, () => ({ id: '', position: event.position, type: event.type }));
      if (transferId === failOn()) throw new Error(`cannot project ${transferId}`);
    },
  };
}

const stream = (customerId: string): string => pointsAccountStream({ tenant: 'acme', storeCode: 'DEFAULT', customerId });

describe('ProjectionRunner over SQLite', () => {
  let dir: string;
  let file: string;
  let db: SqliteDatabase;
  let events: SqliteEventStore;
  let store: SqliteProjectionStore;
  let runner: ProjectionRunner | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runner-'));
    file = join(dir, 'loyalty.db');
    db = openSqlite(file);
    events = new SqliteEventStore(db, { pollIntervalMs: 20 });
    store = new SqliteProjectionStore(db);
  });
  afterEach(async () => {
    jest.useRealTimers();
    await runner?.stop();
    runner = undefined;
    await events.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a wake-up batch to every projection in one transaction, each with its own checkpoint row', async () => {
    // a second connection sees only committed data: while the probe (last in line) applies an event,
    // the first projection's checkpoint must not have moved yet, because both commit together
    const reader = new Database(file, { readonly: true });
    const firstCheckpoint = reader.prepare(`SELECT position FROM projection_checkpoints WHERE name = ?`);
    const probe: Projection = {
      name: 'probe',
      collections: [PROBED],
      apply(event: StoredEvent, ctx: ProjectionContext): void {
        const seen = (firstCheckpoint.get(ALL_PROJECTIONS[0].name) as { position: number }).position;
        ctx.change<ViewDocument & { firstCheckpoint: number }>(PROBED, `e${event.position}`, event.position, () => ({ id: '', position: event.position, firstCheckpoint: seen }));
      },
    };
    try {
      await events.appendToStream(stream('anna'), [added('a1'), added('a2')]);
      const before = await events.appendToStream(stream('bob'), [added('b1')]);
      runner = new ProjectionRunner(events, store, [...ALL_PROJECTIONS, probe]);
      await runner.start();
      await runner.waitFor(before.position);
      const later = await events.appendToStream(stream('anna'), [added('a3'), added('a4')]);
      await runner.waitFor(later.position);

      const seen = db.prepare(`SELECT position, firstCheckpoint FROM "${sqliteTableName(PROBED)}" ORDER BY position`).all() as Array<{ position: number; firstCheckpoint: number }>;
      expect(seen.map((row) => row.position)).toEqual([1, 2, 3, 4, 5]);
      // each event was applied while the customers checkpoint still stood before its batch
      for (const row of seen) expect(row.firstCheckpoint).toBeLessThan(row.position);
      const checkpoints = await store.checkpoints(runner.list());
      expect(checkpoints.map((checkpoint) => checkpoint.position)).toEqual(runner.list().map(() => later.position));
    } finally {
      reader.close();
    }
  });

  it('rolls back a projection that throws on its own, while the others of the same wake-up commit', async () => {
    let failOn: string | undefined = 'boom';
    const fragile = fragileProjection(() => failOn);
    runner = new ProjectionRunner(events, store, [ALL_PROJECTIONS[1], fragile], { retryDelayMs: 10 });
    await runner.start();
    const head = (await events.appendToStream(stream('anna'), [added('ok'), added('boom')])).position;
    await runner.waitFor(head, { names: [ALL_PROJECTIONS[1].name] });

    const fragileRows = (): string[] => (db.prepare(`SELECT id FROM "${sqliteTableName(FRAGILE)}" ORDER BY id`).all() as Array<{ id: string }>).map((row) => row.id);
    // 'ok' came in the same batch as 'boom': rolled back with it
    expect(fragileRows()).toEqual([]);
    expect((await store.checkpoint('fragile')).position).toBe(-1);
    const status = await runner.status();
    expect(status.find((s) => s.name === 'fragile')?.lastError).toBe('cannot project boom');
    expect(status.find((s) => s.name === ALL_PROJECTIONS[1].name)).toMatchObject({ checkpoint: head, lastError: null });

    // fixed: the loop goes back to the lowest checkpoint and the fragile projection catches up
    failOn = undefined;
    await runner.waitFor(head);
    expect(fragileRows()).toEqual(['boom', 'ok']);
    expect((await runner.status()).every((s) => s.lastError === null && s.checkpoint === head)).toBe(true);
  });

  it('applies a batch whose middle projection fails part-way through its writes as if each had its own savepoint: its rows and checkpoint roll back, the others commit once', async () => {
    // 'boom' gets a value SQLite cannot store, refused while the batch is written, after the row for 'ok' went in
    const fragile: Projection = {
      name: 'fragile',
      collections: [FRAGILE],
      apply(event: StoredEvent, ctx: ProjectionContext): void {
        const transferId = (event.data as { transferId: string }).transferId;
        const type = (transferId === 'boom' ? { not: 'a column value' } : event.type) as string;
        ctx.change<ViewDocument & { type: string }>(FRAGILE, transferId, event.position, () => ({ id: '', position: event.position, type }));
      },
    };
    const [before, after] = [ALL_PROJECTIONS[1], ALL_PROJECTIONS[3]];
    for (const projection of [before, fragile, after]) await store.prepare(projection);
    await events.appendToStream(stream('anna'), [added('ok'), added('boom'), added('later')]);
    const batch = await events.readAll();

    const results = await store.applyBatches([before, fragile, after].map((projection) => ({ projection, expectedAfter: -1 })), batch);

    const head = batch[batch.length - 1].position;
    expect(results.map(({ error, ...result }) => ({ ...result, failed: error !== undefined }))).toEqual([
      { checkpoint: head, applied: 3, failed: false },
      { checkpoint: -1, applied: 0, failed: true },
      { checkpoint: head, applied: 3, failed: false },
    ]);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM "${sqliteTableName(FRAGILE)}"`).get()).toEqual({ n: 0 });
    expect((await store.checkpoints(['fragile', before.name, after.name])).map((checkpoint) => checkpoint.position)).toEqual([-1, head, head]);
    const transfers = db.prepare(`SELECT transferId FROM transfers ORDER BY position`).all() as Array<{ transferId: string }>;
    expect(transfers.map((row) => row.transferId)).toEqual(['ok', 'boom', 'later']);
    const balance = db.prepare(`SELECT * FROM accounts`).all() as Array<Record<string, unknown>>;
    expect(balance).toHaveLength(1);
    expect(balance[0]).toMatchObject({ customerId: 'anna', available: 300, earned: 300 });
  });

  it('a rebuild in which a projection throws fails as a whole: no shadow table or rebuild checkpoint is left and the live views stay as they were', async () => {
    let failOn: string | undefined;
    const fragile = fragileProjection(() => failOn);
    const accounts = ALL_PROJECTIONS[1];
    runner = new ProjectionRunner(events, store, [accounts, fragile]);
    await runner.start();
    const head = (await events.appendToStream(stream('anna'), [added('ok'), added('boom'), added('later')])).position;
    await runner.waitFor(head);
    await runner.stop();
    const views = (): unknown[] => [sqliteTableName(FRAGILE), sqliteTableName(accounts.collections[0])].map((table) => db.prepare(`SELECT * FROM "${table}" ORDER BY id`).all());
    const live = views();
    const checkpoints = db.prepare('SELECT name, position FROM projection_checkpoints ORDER BY name').all();

    failOn = 'boom';
    await expect(runner.rebuild('all')).rejects.toThrow('cannot project boom');
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%__rebuild'`).all()).toEqual([]);
    expect(db.prepare('SELECT name, position FROM projection_checkpoints ORDER BY name').all()).toEqual(checkpoints);
    expect(views()).toEqual(live);
  });

  describe('rebuild in worker threads', () => {
    const snapshot = (): Record<string, unknown[]> =>
      Object.fromEntries(
        ALL_PROJECTIONS.flatMap((projection) => projection.collections).map((collection) => [
          collection.name,
          db.prepare(`SELECT * FROM "${sqliteTableName(collection)}" ORDER BY id`).all(),
        ]),
      );
    const indexes = (): string[] =>
      (db.prepare(`SELECT tbl_name AS t, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY tbl_name, sql`).all() as Array<{ t: string; sql: string }>).map(
        (row) => `${row.t} ${row.sql.slice(row.sql.indexOf('('))}`,
      );
    const leftovers = (): string[] => readdirSync(dir).filter((name) => name.includes('.rebuild-'));

    it('replays each share of the projections in its own thread and scratch file, and swaps in the same views as the live path, events appended meanwhile included', async () => {
      const simulation = LedgerSimulation.run({ events: 3_000, seed: 23 });
      for (const append of simulation.appends) await events.appendToStream(append.streamId, append.events);
      runner = new ProjectionRunner(events, store, ALL_PROJECTIONS, { catchUpAsRebuildFrom: 0 });
      await runner.start();
      await runner.waitFor(await events.headPosition());
      await runner.stop();
      const liveIndexes = indexes();

      const progress: number[] = [];
      const rebuilt = new ProjectionRunner(events, store, ALL_PROJECTIONS, { rebuildWorkers: 2 }).rebuild('all', (p) => progress.push(p.done));
      // appended while the workers replay: the second pass on this thread takes them before the swap
      const late = (await events.appendToStream(stream('late'), [added('during-rebuild')])).position;
      const reports = await rebuilt;
      expect(reports.every((report) => report.checkpoint === late && report.copySeconds !== undefined)).toBe(true);
      // every event counted once, whether a worker or the second pass replayed it
      expect(progress[progress.length - 1]).toBe((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n);

      runner = new ProjectionRunner(events, store, ALL_PROJECTIONS, { catchUpAsRebuildFrom: 0 });
      const rebuiltViews = snapshot();
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%__rebuild'`).all()).toEqual([]);
      expect(db.prepare(`SELECT name FROM projection_checkpoints WHERE name LIKE '%__rebuild'`).all()).toEqual([]);
      expect(indexes()).toEqual(liveIndexes);
      expect(leftovers()).toEqual([]);

      // the live path over the same log, from scratch, gives the same rows
      for (const projection of ALL_PROJECTIONS) {
        for (const collection of projection.collections) db.exec(`DELETE FROM "${sqliteTableName(collection)}"`);
      }
      db.exec(`UPDATE projection_checkpoints SET position = -1, updated_at = NULL`);
      await runner.start();
      await runner.waitFor(late);
      expect(snapshot()).toEqual(rebuiltViews);
      expect(rebuiltViews.transfers.length).toBeGreaterThan(500);
    });

    it('a projection that throws in its worker fails the rebuild: no shadow table, rebuild checkpoint or scratch file is left, and the live views stay as they were', async () => {
      runner = new ProjectionRunner(events, store, ALL_PROJECTIONS, { catchUpAsRebuildFrom: 0 });
      await runner.start();
      await events.appendToStream(stream('anna'), [added('ok')]);
      // stored by a writer that skipped every check: the transfers projection cannot read a transfer without data
      const poisoned = (await events.appendToStream(stream('anna'), [{ id: randomUUID(), type: 'PointsAdded', data: null, metadata: {} } as unknown as NewEvent])).position;
      await runner.stop();
      db.exec(`UPDATE projection_checkpoints SET position = ${poisoned}`);
      const live = snapshot();
      const checkpoints = db.prepare('SELECT name, position FROM projection_checkpoints ORDER BY name').all();

      await expect(new ProjectionRunner(events, store, ALL_PROJECTIONS, { rebuildWorkers: 2 }).rebuild('all')).rejects.toThrow(/Cannot read properties of null/);
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%__rebuild'`).all()).toEqual([]);
      expect(db.prepare('SELECT name, position FROM projection_checkpoints ORDER BY name').all()).toEqual(checkpoints);
      expect(db.prepare('PRAGMA database_list').all()).toHaveLength(1);
      expect(snapshot()).toEqual(live);
      expect(leftovers()).toEqual([]);
    });
  });

  it('waitFor with the loop in this process resolves on its commit, without a timer', async () => {
    runner = new ProjectionRunner(events, store);
    await runner.start();
    const first = await events.appendToStream(stream('anna'), [added('a1')]);
    await runner.waitFor(first.position);

    // no timer can fire from here on: only the loop's own notification can resolve the wait
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'Date', 'hrtime'] });
    const appended = await events.appendToStream(stream('anna'), [added('a2')]);
    await runner.waitFor(appended.position, { timeoutMs: 60_000 });
    expect((await store.checkpoints(runner.list())).every((checkpoint) => checkpoint.position >= appended.position)).toBe(true);
    jest.useRealTimers();
  });

  it('waitFor needs nothing for START, and times out while no loop runs', async () => {
    runner = new ProjectionRunner(events, store);
    await runner.prepare();
    // nothing appended and no loop: a position at or before START needs nothing
    await runner.waitFor(-1, { timeoutMs: 0 });
    const position = (await events.appendToStream(stream('anna'), [added('a1')])).position;
    await expect(runner.waitFor(position, { timeoutMs: 50 })).rejects.toThrow(/did not reach position/);
  });

  it('projections that never ran catch up a long log as a rebuild, to the same views as the live path, and then follow live', async () => {
    const simulation = LedgerSimulation.run({ events: 3_000, seed: 17 });
    for (const append of simulation.appends) await events.appendToStream(append.streamId, append.events);
    const head = await events.headPosition();
    const snapshot = (): Record<string, unknown[]> =>
      Object.fromEntries(
        ALL_PROJECTIONS.flatMap((projection) => projection.collections).map((collection) => [
          collection.name,
          db.prepare(`SELECT * FROM "${sqliteTableName(collection)}" ORDER BY id`).all(),
        ]),
      );
    const indexes = (): string[] =>
      (db.prepare(`SELECT tbl_name AS t, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY tbl_name, sql`).all() as Array<{ t: string; sql: string }>).map(
        (row) => `${row.t} ${row.sql.slice(row.sql.indexOf('('))}`,
      );

    runner = new ProjectionRunner(events, store, ALL_PROJECTIONS, { catchUpAsRebuildFrom: 0 });
    await runner.start();
    await runner.waitFor(head);
    await runner.stop();
    const live = snapshot();
    const liveIndexes = indexes();
    const indexNames = (): string[] => (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transfers' AND sql IS NOT NULL`).all() as Array<{ name: string }>).map((row) => row.name);
    const liveIndexNames = indexNames();
    for (const projection of ALL_PROJECTIONS) {
      for (const collection of projection.collections) db.exec(`DELETE FROM "${sqliteTableName(collection)}"`);
    }
    db.exec(`UPDATE projection_checkpoints SET position = -1, updated_at = NULL`);

    runner = new ProjectionRunner(events, store, ALL_PROJECTIONS, { catchUpAsRebuildFrom: 1_000 });
    await runner.start();
    await runner.waitFor(head);
    // swapped in: no shadow table or rebuild checkpoint left behind, every index in place
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%__rebuild'`).all()).toEqual([]);
    expect(db.prepare(`SELECT name FROM projection_checkpoints WHERE name LIKE '%__rebuild'`).all()).toEqual([]);
    expect(indexes()).toEqual(liveIndexes);
    // a new table generation (index names carry it): the views were rebuilt and swapped in, not filled in place
    expect(indexNames().filter((name) => liveIndexNames.includes(name))).toEqual([]);
    expect(snapshot()).toEqual(live);
    expect(live.transfers.length).toBeGreaterThan(500);

    const position = (await events.appendToStream(stream('after'), [added('after-catch-up')])).position;
    await runner.waitFor(position);
    expect(db.prepare(`SELECT value FROM transfers WHERE transferId = 'after-catch-up'`).get()).toEqual({ value: 100 });
  });

  it('commits projection batches without an fsync of their own and leaves the connection at FULL for event appends', async () => {
    const seen: number[] = [];
    const probe: Projection = {
      name: 'probe',
      collections: [PROBED],
      apply(event: StoredEvent): void {
        seen.push(db.pragma('synchronous', { simple: true }) as number);
      },
    };
    await events.appendToStream(stream('anna'), [added('a1')]);
    const all = await events.readAll();
    await store.prepare(probe);
    await store.applyBatches([{ projection: probe, expectedAfter: -1 }], all);
    const strict = new SqliteProjectionStore(db, { relaxedSync: false });
    await strict.applyBatches([{ projection: probe, expectedAfter: -1 }], [...all, { ...all[0], position: all[0].position + 1 }]);
    // NORMAL (1) inside the batch's transaction, FULL (2) again outside; FULL throughout when turned off
    expect(seen).toEqual([1, 2]);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('builds a shadow table\'s replay index when the first bulk change reaches it, before that change runs', async () => {
    const grouped: CollectionSpec = { name: 'probe_grouped', fields: { grp: 'text', mark: 'integer', indexed: 'integer' }, indexes: [['grp']], replayIndexes: [0] };
    const shadowIndexes = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`);
    const probe: Projection = {
      name: 'probe',
      collections: [grouped],
      apply(event: StoredEvent, ctx: ProjectionContext): void {
        const transferId = (event.data as { transferId: string }).transferId;
        if (transferId === 'bulk') return ctx.updateWhere(grouped, { grp: 'g' }, {}, 'mark', event.position);
        const indexed = (shadowIndexes.get(sqliteTableName(grouped, 'rebuild')) as { n: number }).n;
        ctx.change<ViewDocument & { grp: string; mark: number; indexed: number }>(grouped, transferId, event.position, () => ({ id: '', position: event.position, grp: 'g', mark: 0, indexed }));
      },
    };
    await events.appendToStream(stream('anna'), [added('a1'), added('a2'), added('bulk'), added('a3')]);
    runner = new ProjectionRunner(events, store, [probe]);
    await runner.rebuild('probe');
    // no index while rows went in, one from the bulk change on; the bulk change saw every row before it
    expect(db.prepare(`SELECT id, mark, indexed FROM "${sqliteTableName(grouped)}" ORDER BY id`).all()).toEqual([
      { id: 'a1', mark: 3, indexed: 0 },
      { id: 'a2', mark: 3, indexed: 0 },
      { id: 'a3', mark: 0, indexed: 1 },
    ]);
    expect(shadowIndexes.get(sqliteTableName(grouped))).toEqual({ n: 1 });
  });

  it('gives a rebuild a larger page cache, and the connection its own back after the swap', async () => {
    const seen: number[] = [];
    const probe: Projection = {
      name: 'probe',
      collections: [PROBED],
      apply(): void {
        seen.push(db.pragma('cache_size', { simple: true }) as number);
      },
    };
    const before = db.pragma('cache_size', { simple: true }) as number;
    await events.appendToStream(stream('anna'), [added('a1')]);
    runner = new ProjectionRunner(events, new SqliteProjectionStore(db, { rebuildCacheMiB: 64 }), [probe]);
    await runner.rebuild('probe');
    expect(seen).toEqual([-64 * 1024]);
    expect(db.pragma('cache_size', { simple: true })).toBe(before);
  });
});
