import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { NewEvent, START, StoredEvent, WrongExpectedRevisionError } from '../event-store.port';
import { openSqlite, SqliteDatabase, WAL_AUTOCHECKPOINT_PAGES } from './sqlite-database';
import { SqliteEventStore } from './sqlite-event-store';

const run = promisify(execFile);
const repoRoot = resolve(__dirname, '../../../..');
const WAIT_MS = 10_000;

function pointsAdded(points: number): NewEvent {
  return { id: randomUUID(), type: 'PointsAdded', data: { points: points.toFixed(2) }, metadata: { tenant: 't1' } };
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function nextBatch(iterator: AsyncIterator<StoredEvent[]>, what: string, ms?: number): Promise<StoredEvent[]> {
  const next = await withTimeout(iterator.next(), what, ms);
  if (next.done) throw new Error('subscription ended early');
  return next.value;
}

/** Our own adapter, in a separate node process, appending one event to the same file. */
async function appendFromAnotherProcess(file: string, streamId: string, eventId: string): Promise<void> {
  const script = `
    const { openSqlite } = require('./libs/event-store/src/sqlite/sqlite-database');
    const { SqliteEventStore } = require('./libs/event-store/src/sqlite/sqlite-event-store');
    const [file, streamId, eventId] = process.argv.slice(1);
    const db = openSqlite(file);
    new SqliteEventStore(db)
      .appendToStream(streamId, [{ id: eventId, type: 'PointsAdded', data: { points: '7.00' }, metadata: {} }], { expectedRevision: 'no_stream' })
      .then(() => db.close());
  `;
  await run(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script, file, streamId, eventId], {
    cwd: repoRoot,
    env: { ...process.env, TS_NODE_PROJECT: join(repoRoot, 'tsconfig.json') },
  });
}

describe('SqliteEventStore on a real file', () => {
  let file: string;
  let db: SqliteDatabase;

  beforeEach(() => {
    file = join(tmpdir(), `event-store-${randomUUID()}.sqlite`);
    db = openSqlite(file);
  });

  afterEach(() => {
    if (db.open) db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  });

  it('delivers an append made by another process to a live subscription through the fallback poll', async () => {
    const store = new SqliteEventStore(db, { pollIntervalMs: 50 });
    await store.appendToStream('pointsAccount-t1:s1:here', [pointsAdded(1)], { expectedRevision: 'no_stream' });
    const iterator = store.subscribeToAll()[Symbol.asyncIterator]();
    expect((await nextBatch(iterator, 'catch-up')).map((event) => event.streamId)).toEqual(['pointsAccount-t1:s1:here']);
    const waiting = iterator.next();
    const eventId = randomUUID();

    await appendFromAnotherProcess(file, 'pointsAccount-t1:s1:elsewhere', eventId);

    const next = await withTimeout(waiting, 'the other process append');
    expect(next.done).toBe(false);
    expect(next.value).toEqual([
      expect.objectContaining({ id: eventId, streamId: 'pointsAccount-t1:s1:elsewhere', revision: 0, data: { points: '7.00' } }),
    ]);
    await store.close();
  }, 60_000);

  it('wakes a live subscription on an in-process append without waiting for the poll', async () => {
    // A poll this slow would blow the wait below: only the in-process signal can deliver in time.
    const store = new SqliteEventStore(db, { pollIntervalMs: 60_000 });
    const iterator = store.subscribeToAll()[Symbol.asyncIterator]();
    const waiting = iterator.next();

    const appended = await store.appendToStream('pointsAccount-t1:s1:c1', [pointsAdded(3)], { expectedRevision: 'no_stream' });

    const next = await withTimeout(waiting, 'the in-process append', 1_000);
    expect(next.value).toEqual([expect.objectContaining({ position: appended.position })]);
    await store.close();
  });

  it('keeps events, revisions and positions when the file is reopened', async () => {
    const before = new SqliteEventStore(db);
    const first = await before.appendToStream('pointsAccount-t1:s1:c1', [pointsAdded(1), pointsAdded(2)], { expectedRevision: 'no_stream' });
    const storedBefore = await before.readAll();
    await before.close();
    db.close();

    db = openSqlite(file);
    const after = new SqliteEventStore(db);
    const storedAfter = await after.readAll();
    const next = await after.appendToStream('pointsAccount-t1:s1:c1', [pointsAdded(3)], { expectedRevision: first.nextExpectedRevision });

    expect(storedAfter).toEqual(storedBefore);
    expect(await after.headPosition()).toBe(next.position);
    expect(next.nextExpectedRevision).toBe(2);
    expect(next.position).toBeGreaterThan(first.position);
  });

  it('leaves a commit of a few thousand pages in the WAL: no checkpoint copies it into the file before WAL_AUTOCHECKPOINT_PAGES', async () => {
    const store = new SqliteEventStore(db);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    // half a page of data each: a few thousand pages in one commit, past SQLite's default of 1,000 and short of ours
    const events = Array.from({ length: 5_000 }, (_, index) => ({ ...pointsAdded(index), data: { note: 'x'.repeat(pageSize / 2) } }));
    const fileBefore = statSync(file).size;

    await store.appendToStream('pointsAccount-t1:s1:c1', events, { expectedRevision: 'no_stream' });

    const walPages = statSync(`${file}-wal`).size / pageSize;
    expect(walPages).toBeGreaterThan(2_000);
    expect(walPages).toBeLessThan(WAL_AUTOCHECKPOINT_PAGES);
    expect(statSync(file).size).toBe(fileBefore);
    expect(await store.readStream('pointsAccount-t1:s1:c1')).toHaveLength(5_000);
  });

  it('stamps recordedAt with the append time from its clock', async () => {
    const appendTime = new Date('2025-03-01T10:00:00.000Z');
    const store = new SqliteEventStore(db, { now: () => appendTime });

    await store.appendToStream('pointsAccount-t1:s1:c1', [pointsAdded(1), pointsAdded(2)], { expectedRevision: 'no_stream' });

    expect((await store.readStream('pointsAccount-t1:s1:c1')).map((event) => event.recordedAt)).toEqual([appendTime, appendTime]);
  });

  it('reports START as head and nothing to read on a fresh file', async () => {
    const store = new SqliteEventStore(db);

    expect(await store.headPosition()).toBe(START);
    expect(await store.readAll()).toEqual([]);
  });

  it('shares the file with other tables and a second store on the same handle', async () => {
    db.exec('CREATE TABLE accounts (customer_id TEXT PRIMARY KEY, active_points INTEGER NOT NULL)');
    const first = new SqliteEventStore(db);
    await first.appendToStream('pointsAccount-t1:s1:c1', [pointsAdded(1)], { expectedRevision: 'no_stream' });

    const second = new SqliteEventStore(db);

    expect(await second.readStream('pointsAccount-t1:s1:c1')).toHaveLength(1);
    expect(db.prepare('SELECT COUNT(*) AS count FROM accounts').get()).toEqual({ count: 0 });
  });

  it('refuses a batch that repeats an event id, storing nothing', async () => {
    const store = new SqliteEventStore(db);
    const event = pointsAdded(1);

    await expect(store.appendToStream('pointsAccount-t1:s1:c1', [event, event], { expectedRevision: 'no_stream' })).rejects.toThrow(
      RangeError,
    );
    expect(await store.readStream('pointsAccount-t1:s1:c1')).toEqual([]);
  });

  it('rolls back only the refused append when several share one group commit', async () => {
    const store = new SqliteEventStore(db);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const kept = pointsAdded(1);

    // Issued in the same tick, so all three are committed by one transaction.
    const [unstorable, conflicting, stored] = await Promise.allSettled([
      store.appendToStream('pointsAccount-t1:s1:c1', [pointsAdded(1), { ...pointsAdded(2), data: circular }], { expectedRevision: 'no_stream' }),
      store.appendToStream('pointsAccount-t1:s1:c2', [pointsAdded(3)], { expectedRevision: 4 }),
      store.appendToStream('pointsAccount-t1:s1:c3', [kept], { expectedRevision: 'no_stream' }),
    ]);

    expect(unstorable).toMatchObject({ status: 'rejected', reason: expect.any(TypeError) });
    expect(conflicting).toMatchObject({ status: 'rejected', reason: expect.any(WrongExpectedRevisionError) });
    expect(stored).toMatchObject({ status: 'fulfilled', value: { nextExpectedRevision: 0 } });
    expect((await store.readAll()).map((event) => event.id)).toEqual([kept.id]);
  });

  it('commits many concurrent appends to different accounts, each at its own revision', async () => {
    const store = new SqliteEventStore(db);
    const accounts = Array.from({ length: 200 }, (_, index) => `pointsAccount-t1:s1:c${index}`);

    const results = await Promise.all(
      accounts.map((streamId) => store.appendToStream(streamId, [pointsAdded(1), pointsAdded(2)], { expectedRevision: 'no_stream' })),
    );

    expect(results.every((result) => result.nextExpectedRevision === 1)).toBe(true);
    expect(new Set(results.map((result) => result.position)).size).toBe(accounts.length);
    expect(await store.readAll()).toHaveLength(accounts.length * 2);
  });
});
