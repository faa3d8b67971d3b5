import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, describeWithServer } from '../../../../test/support/servers';
import { GlobalPosition, NewEvent, StoredEvent } from '../event-store.port';
import { PostgresEventStore } from './postgres-event-store';

const WAIT_MS = 10_000;

function pointsAdded(points: number): NewEvent {
  return { id: randomUUID(), type: 'PointsAdded', data: { points: points.toFixed(2) }, metadata: { tenant: 't1' } };
}

function account(): string {
  return `pointsAccount-t1:s1:${randomUUID()}`;
}

/** Polls a condition of the database (no fixed sleep decides anything); fails after WAIT_MS. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Pulls every batch of a subscription into `delivered` until it ends. */
function pump(iterator: AsyncIterator<StoredEvent[]>, delivered: StoredEvent[]): Promise<void> {
  return (async () => {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) delivered.push(...next.value);
  })();
}

describeWithServer('PostgresEventStore on a real server', databaseUrl, 'DATABASE_URL', () => {
  const url = databaseUrl as string;
  let schema: string;
  let admin: Client;
  const stores: PostgresEventStore[] = [];

  function openStore(options: { pollIntervalMs?: number; now?: () => Date; schema?: string } = {}): PostgresEventStore {
    const store = new PostgresEventStore({ connectionString: url, schema, ...options });
    stores.push(store);
    return store;
  }

  beforeEach(async () => {
    schema = `store_${randomUUID().replace(/-/g, '')}`;
    admin = new Client({ connectionString: url });
    await admin.connect();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    for (const row of (await admin.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'store\\_%'`)).rows) {
      if (row.name === schema || row.name.startsWith(`${schema}_`)) await admin.query(`DROP SCHEMA ${row.name} CASCADE`);
    }
    await admin.end();
  });

  it('never lets a subscriber or a readAll catch-up pass an append whose transaction took a lower position and commits later', async () => {
    // A poll this slow never fires here: only notifications drive the subscriber.
    const store = openStore({ pollIntervalMs: 60_000 });
    const head = await store.headPosition();
    const delivered: StoredEvent[] = [];
    const subscription = store.subscribeToAll({ after: head });
    const pumping = pump(subscription[Symbol.asyncIterator](), delivered);

    // The first half of an append on a connection of its own: its row has a position, its transaction stays open.
    const slowWriter = new Client({ connectionString: url });
    await slowWriter.connect();
    await slowWriter.query('BEGIN');
    const slowEventId = randomUUID();
    const { rows } = await slowWriter.query<{ position: string }>(
      `INSERT INTO ${schema}.events (stream_id, revision, event_id, type, data, metadata, recorded_at)
       VALUES ($1, 0, $2, 'PointsAdded', '{"points":"9.00"}', '{}', now()) RETURNING position`,
      [account(), slowEventId],
    );
    const slowPosition = Number(rows[0].position);

    // Later appends through the adapter, to other accounts: either they wait for the open transaction or they commit.
    const later = [account(), account(), account()].map((streamId) =>
      store.appendToStream(streamId, [pointsAdded(1)], { expectedRevision: 'no_stream' }),
    );
    let settled = 0;
    for (const append of later) void append.finally(() => (settled += 1)).catch(() => undefined);
    const waitingOnPositionLock = async (): Promise<number> =>
      Number(
        (
          await admin.query<{ count: string }>(
            `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE $1`,
            [`%${schema}.events%`],
          )
        ).rows[0].count,
      );
    // Without the guard the later appends commit now and the subscriber reads them; with it they queue behind the open one.
    await until(
      async () => (await waitingOnPositionLock()) === later.length || (settled === later.length && delivered.length === later.length),
      'the later appends to queue or to be delivered',
    );
    const readWhileOpen = await store.readAll({ after: head });

    await slowWriter.query('COMMIT');
    await slowWriter.end();
    const results = await Promise.all(later);
    const newest = Math.max(...results.map((result) => result.position));
    await until(async () => delivered.some((event) => event.position === newest), 'the newest append to be delivered');
    await subscription.close();
    await pumping;

    const stored = await store.readAll({ after: head });
    expect(stored.map((event) => event.position)).toEqual([slowPosition, ...results.map((result) => result.position)].sort((a, b) => a - b));
    // the subscriber delivered every committed event, in position order, the slow one included
    expect(delivered.map((event) => event.id)).toEqual(stored.map((event) => event.id));
    expect(delivered.map((event) => event.id)).toContain(slowEventId);
    // what readAll showed while the slow append was open is where a catch-up would have resumed from: a prefix, never past a gap
    expect(stored.slice(0, readWhileOpen.length).map((event) => event.id)).toEqual(readWhileOpen.map((event) => event.id));
    expect(readWhileOpen.every((event) => event.position < slowPosition)).toBe(true);
  });

  it('wakes a live subscription through NOTIFY when another store instance appends', async () => {
    const listening = openStore({ pollIntervalMs: 60_000 });
    const appending = openStore();
    const iterator = listening.subscribeToAll({ after: await listening.headPosition() })[Symbol.asyncIterator]();
    const waiting = iterator.next();

    const appended = await appending.appendToStream(account(), [pointsAdded(3)], { expectedRevision: 'no_stream' });

    // far below the 60 s poll: only the notification can deliver in time
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      waiting,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no notification within 5 s')), 5_000))),
    ]).finally(() => clearTimeout(timer));
    expect(next.value).toEqual([expect.objectContaining({ position: appended.position })]);
  });

  it('listens again when its listening connection is lost, and misses nothing appended meanwhile', async () => {
    const listening = openStore({ pollIntervalMs: 60_000 });
    const appending = openStore();
    const iterator = listening.subscribeToAll({ after: await listening.headPosition() })[Symbol.asyncIterator]();
    const first = iterator.next();
    const before = await appending.appendToStream(account(), [pointsAdded(1)], { expectedRevision: 'no_stream' });
    expect((await first).value).toEqual([expect.objectContaining({ position: before.position })]);
    const listenerQuery = `LISTEN ${schema}_events_appended`;

    const terminated = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, [listenerQuery]);
    expect(terminated.rowCount).toBe(1);
    const during = await appending.appendToStream(account(), [pointsAdded(2)], { expectedRevision: 'no_stream' });
    const second = await iterator.next();
    await until(
      async () => Number((await admin.query(`SELECT count(*) FROM pg_stat_activity WHERE query = $1`, [listenerQuery])).rows[0].count) === 1,
      'a new listening connection',
    );
    const waiting = iterator.next();
    const after = await appending.appendToStream(account(), [pointsAdded(3)], { expectedRevision: 'no_stream' });

    // the 60 s poll never fires within the test's time: the notification on the new connection delivers
    expect(second.value).toEqual([expect.objectContaining({ position: during.position })]);
    expect((await waiting).value).toEqual([expect.objectContaining({ position: after.position })]);
  }, 20_000);

  it('delivers many concurrent appends to different accounts exactly once and in position order', async () => {
    const store = openStore();
    const head = await store.headPosition();
    const delivered: StoredEvent[] = [];
    const subscription = store.subscribeToAll({ after: head, batchSize: 7 });
    const pumping = pump(subscription[Symbol.asyncIterator](), delivered);
    const writers = [openStore(), openStore()];

    const results = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        writers[index % 2].appendToStream(account(), [pointsAdded(1), pointsAdded(2)], { expectedRevision: 'no_stream' }),
      ),
    );
    const newest: GlobalPosition = Math.max(...results.map((result) => result.position));
    await until(async () => delivered.some((event) => event.position === newest), 'the newest append to be delivered');
    await subscription.close();
    await pumping;

    const stored = await store.readAll({ after: head });
    expect(stored).toHaveLength(120);
    expect(delivered.map((event) => event.id)).toEqual(stored.map((event) => event.id));
  });

  it('lands every one of many concurrent appends with any to one account, each at its own revision', async () => {
    const streamId = account();
    const writers = [openStore(), openStore()];

    const results = await Promise.all(
      Array.from({ length: 30 }, (_, index) => writers[index % 2].appendToStream(streamId, [pointsAdded(index)], { expectedRevision: 'any' })),
    );

    expect(results.map((result) => result.nextExpectedRevision).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, index) => index));
    const stored = await writers[0].readStream(streamId);
    expect(stored.map((event) => event.revision)).toEqual(Array.from({ length: 30 }, (_, index) => index));
    expect(stored.map((event) => event.position)).toEqual([...stored.map((event) => event.position)].sort((a, b) => a - b));
  });

  it('keeps schemas apart: a store sees only the events of its own schema', async () => {
    const mine = openStore();
    const other = openStore({ schema: `${schema}_other` });
    await mine.appendToStream(account(), [pointsAdded(1)], { expectedRevision: 'no_stream' });

    expect(await other.readAll()).toEqual([]);
    expect(await other.headPosition()).toBe(-1);
    expect(await mine.readAll()).toHaveLength(1);
  });

  it('creates its schema once when several stores start on it at the same time', async () => {
    const starting = [openStore(), openStore(), openStore(), openStore()];

    const heads = await Promise.all(starting.map((store) => store.headPosition()));

    expect(heads).toEqual([-1, -1, -1, -1]);
  });

  it('refuses a batch that repeats an event id, storing nothing', async () => {
    const store = openStore();
    const streamId = account();
    const event = pointsAdded(1);

    await expect(store.appendToStream(streamId, [event, event], { expectedRevision: 'no_stream' })).rejects.toThrow(RangeError);
    expect(await store.readStream(streamId)).toEqual([]);
  });

  it('refuses a batch JSON cannot hold before sending anything', async () => {
    const store = openStore();
    const streamId = account();
    const circular: Record<string, unknown> = {};
    circular.self = circular;

    await expect(store.appendToStream(streamId, [{ ...pointsAdded(1), data: circular }], { expectedRevision: 'no_stream' })).rejects.toThrow(TypeError);
    expect(await store.readStream(streamId)).toEqual([]);
  });

  it('stamps recordedAt with the append time from its clock', async () => {
    const appendTime = new Date('2025-03-01T10:00:00.000Z');
    const store = openStore({ now: () => appendTime });
    const streamId = account();

    await store.appendToStream(streamId, [pointsAdded(1), pointsAdded(2)], { expectedRevision: 'no_stream' });

    expect((await store.readStream(streamId)).map((event) => event.recordedAt)).toEqual([appendTime, appendTime]);
  });

  it('refuses a schema name that would need quoting', () => {
    expect(() => new PostgresEventStore({ connectionString: url, schema: 'loyalty; DROP TABLE x' })).toThrow(RangeError);
  });
});
