import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppendResult,
  EventIdConflictError,
  EventStore,
  EventStoreDbEventStore,
  EventSubscription,
  GlobalPosition,
  NewEvent,
  SqliteEventStore,
  START,
  StoredEvent,
  WrongExpectedRevisionError,
  openSqlite,
  PostgresEventStore,
} from '@app/event-store';
import { Client } from 'pg';
import { databaseUrl, describeWithServer, eventStoreDbConnectionString } from '../support/servers';

/**
 * One contract, every adapter whose server is reachable. Streams are unique per test and
 * assertions look only at this test's streams, so it also runs against a shared server.
 */

interface OpenedStore {
  store: EventStore;
  dispose(): Promise<void>;
}

const WAIT_MS = 5_000;

function accountStream(): string {
  return `pointsAccount-contract:store1:${randomUUID()}`;
}

function pointsAdded(points: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'PointsAdded',
    data: { transferId: randomUUID(), type: 'adding', points: points.toFixed(2), state: 'active' },
    metadata: { tenant: 'contract', storeCode: 'store1', issuer: 'system', schemaVersion: 1 },
  };
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Pulls batches until `count` events of the given streams arrived; other streams' events are ignored. */
async function receive(
  iterator: AsyncIterator<StoredEvent[]>,
  streams: ReadonlySet<string>,
  count: number,
): Promise<{ events: StoredEvent[]; batches: StoredEvent[][] }> {
  const events: StoredEvent[] = [];
  const batches: StoredEvent[][] = [];
  while (events.length < count) {
    const next = await withTimeout(iterator.next(), `${count - events.length} more event(s)`);
    if (next.done) throw new Error('subscription ended early');
    expect(next.value.length).toBeGreaterThan(0);
    batches.push(next.value);
    events.push(...next.value.filter((event) => streams.has(event.streamId)));
  }
  return { events, batches };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

function eventStoreContract(open: () => Promise<OpenedStore>): void {
  let store: EventStore;
  let dispose: () => Promise<void>;
  const subscriptions: EventSubscription[] = [];

  function subscribe(after: GlobalPosition, batchSize?: number): { subscription: EventSubscription; iterator: AsyncIterator<StoredEvent[]> } {
    const subscription = store.subscribeToAll({ after, batchSize });
    subscriptions.push(subscription);
    return { subscription, iterator: subscription[Symbol.asyncIterator]() };
  }

  beforeEach(async () => {
    ({ store, dispose } = await open());
  });

  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.close()));
    await dispose();
  });

  describe('appendToStream', () => {
    it('opens a new stream with no_stream at revision 0 and the next one continues it', async () => {
      const streamId = accountStream();

      const first = await store.appendToStream(streamId, [pointsAdded(10), pointsAdded(5)], { expectedRevision: 'no_stream' });
      const second = await store.appendToStream(streamId, [pointsAdded(1)], { expectedRevision: first.nextExpectedRevision });

      expect(first.nextExpectedRevision).toBe(1);
      expect(second.nextExpectedRevision).toBe(2);
      expect(second.position).toBeGreaterThan(first.position);
      const stored = await store.readStream(streamId);
      expect(stored.map((event) => event.revision)).toEqual([0, 1, 2]);
      expect(stored[1].position).toBe(first.position);
      expect(stored[2].position).toBe(second.position);
    });

    it('refuses no_stream on an existing stream with the actual revision', async () => {
      const streamId = accountStream();
      await store.appendToStream(streamId, [pointsAdded(10), pointsAdded(5)], { expectedRevision: 'no_stream' });

      const error = await rejectionOf(store.appendToStream(streamId, [pointsAdded(1)], { expectedRevision: 'no_stream' }));

      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ streamId, expected: 'no_stream', actual: 1 });
      expect(await store.readStream(streamId)).toHaveLength(2);
    });

    it('appends at the exact current revision and refuses a stale one', async () => {
      const streamId = accountStream();
      await store.appendToStream(streamId, [pointsAdded(10)], { expectedRevision: 'no_stream' });
      await store.appendToStream(streamId, [pointsAdded(5)], { expectedRevision: 0 });

      const stale = await rejectionOf(store.appendToStream(streamId, [pointsAdded(1)], { expectedRevision: 0 }));
      const ahead = await rejectionOf(store.appendToStream(streamId, [pointsAdded(1)], { expectedRevision: 7 }));

      expect(stale).toBeInstanceOf(WrongExpectedRevisionError);
      expect(stale).toMatchObject({ expected: 0, actual: 1 });
      expect(ahead).toMatchObject({ expected: 7, actual: 1 });
      expect(await store.readStream(streamId)).toHaveLength(2);
    });

    it('refuses an exact revision on a stream that does not exist, reporting no_stream', async () => {
      const streamId = accountStream();

      const error = await rejectionOf(store.appendToStream(streamId, [pointsAdded(1)], { expectedRevision: 0 }));

      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ streamId, expected: 0, actual: 'no_stream' });
    });

    it('appends with any whether or not the stream exists', async () => {
      const streamId = accountStream();

      const created = await store.appendToStream(streamId, [pointsAdded(10)], { expectedRevision: 'any' });
      const continued = await store.appendToStream(streamId, [pointsAdded(5)], { expectedRevision: 'any' });

      expect(created.nextExpectedRevision).toBe(0);
      expect(continued.nextExpectedRevision).toBe(1);
    });

    it('stores a retried batch once and answers the retry with the original result', async () => {
      const streamId = accountStream();
      const batch = [pointsAdded(10), pointsAdded(5)];
      const original = await store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' });

      const retriedAtSameRevision = await store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' });
      const retriedWithAny = await store.appendToStream(streamId, batch, { expectedRevision: 'any' });
      await store.appendToStream(streamId, [pointsAdded(1)], { expectedRevision: 1 });
      const retriedAfterMore = await store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' });
      const retriedAtWrongRevision = await store.appendToStream(streamId, batch, { expectedRevision: 0 });

      for (const retried of [retriedAtSameRevision, retriedWithAny, retriedAfterMore, retriedAtWrongRevision]) {
        expect(retried).toEqual<AppendResult>(original);
      }
      const stored = await store.readStream(streamId);
      expect(stored.map((event) => event.id)).toEqual([batch[0].id, batch[1].id, stored[2].id]);
    });

    it('refuses a batch that mixes stored and new event ids, storing nothing', async () => {
      const streamId = accountStream();
      const [stored, fresh] = [pointsAdded(10), pointsAdded(5)];
      await store.appendToStream(streamId, [stored], { expectedRevision: 'no_stream' });

      const error = await rejectionOf(store.appendToStream(streamId, [stored, fresh], { expectedRevision: 'no_stream' }));

      expect(error).toBeInstanceOf(EventIdConflictError);
      expect(error).toMatchObject({ streamId, knownIds: [stored.id] });
      expect((await store.readStream(streamId)).map((event) => event.id)).toEqual([stored.id]);
    });

    it('answers a stored batch appended again at the stream\'s end with the original result, storing nothing', async () => {
      const streamId = accountStream();
      const batch = [pointsAdded(10), pointsAdded(5)];
      const original = await store.appendToStream(streamId, batch, { expectedRevision: 'no_stream' });

      const atTheEnd = await store.appendToStream(streamId, batch, { expectedRevision: original.nextExpectedRevision });
      const lastOnlyWithAny = await store.appendToStream(streamId, [batch[1]], { expectedRevision: 'any' });

      expect(atTheEnd).toEqual<AppendResult>(original);
      expect(lastOnlyWithAny).toEqual<AppendResult>(original);
      expect((await store.readStream(streamId)).map((event) => event.id)).toEqual(batch.map((event) => event.id));
    });

    it('refuses [new, stored] at the end and with any, storing nothing', async () => {
      const streamId = accountStream();
      const stored = pointsAdded(10);
      await store.appendToStream(streamId, [stored], { expectedRevision: 'no_stream' });

      for (const expectedRevision of [0, 'any'] as const) {
        const error = await rejectionOf(store.appendToStream(streamId, [pointsAdded(5), stored], { expectedRevision }));

        expect(error).toBeInstanceOf(EventIdConflictError);
        expect(error).toMatchObject({ streamId, knownIds: [stored.id] });
      }
      expect((await store.readStream(streamId)).map((event) => event.id)).toEqual([stored.id]);
    });

    it('refuses a batch that names one id twice, storing nothing', async () => {
      const streamId = accountStream();
      const event = pointsAdded(10);

      const twice = await rejectionOf(store.appendToStream(streamId, [event, { ...pointsAdded(5), id: event.id }], { expectedRevision: 'no_stream' }));
      const twiceInOtherCase = await rejectionOf(store.appendToStream(streamId, [event, { ...pointsAdded(5), id: event.id.toUpperCase() }]));

      expect(twice).toBeInstanceOf(RangeError);
      expect(twiceInOtherCase).toBeInstanceOf(RangeError);
      expect(await store.readStream(streamId)).toEqual([]);
    });

    it('compares event ids case-insensitively and reads them back lower-cased', async () => {
      const streamId = accountStream();
      const event = pointsAdded(10);
      const original = await store.appendToStream(streamId, [{ ...event, id: event.id.toUpperCase() }], { expectedRevision: 'no_stream' });

      const retried = await store.appendToStream(streamId, [event], { expectedRevision: 'any' });

      expect(retried).toEqual<AppendResult>(original);
      expect((await store.readStream(streamId)).map((stored) => stored.id)).toEqual([event.id.toLowerCase()]);
    });

    it('stores nothing for an empty batch but still checks the expected revision', async () => {
      const streamId = accountStream();
      const missing = await store.appendToStream(streamId, [], { expectedRevision: 'no_stream' });
      const appended = await store.appendToStream(streamId, [pointsAdded(1)], { expectedRevision: 'no_stream' });

      const unchanged = await store.appendToStream(streamId, [], { expectedRevision: 0 });
      const stale = await rejectionOf(store.appendToStream(streamId, [], { expectedRevision: 'no_stream' }));

      expect(missing).toEqual({ nextExpectedRevision: -1, position: START });
      expect(unchanged).toEqual(appended);
      expect(stale).toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(streamId)).toHaveLength(1);
    });

    it('lets exactly one of many concurrent appends at the same expected revision win', async () => {
      const streamId = accountStream();
      await store.appendToStream(streamId, [pointsAdded(10)], { expectedRevision: 'no_stream' });
      const contenders = Array.from({ length: 10 }, () => pointsAdded(1));

      const outcomes = await Promise.allSettled(
        contenders.map((event) => store.appendToStream(streamId, [event], { expectedRevision: 0 })),
      );

      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const losers = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(contenders.length - 1);
      for (const loser of losers) expect(loser.reason).toBeInstanceOf(WrongExpectedRevisionError);
      const stored = await store.readStream(streamId);
      expect(stored).toHaveLength(2);
      expect(contenders.map((event) => event.id)).toContain(stored[1].id);
    });
  });

  describe('readStream', () => {
    it('returns the events in revision order with what was appended', async () => {
      const streamId = accountStream();
      const appended = [pointsAdded(10), pointsAdded(5.5), pointsAdded(0.01)];
      const before = Date.now();
      await store.appendToStream(streamId, appended, { expectedRevision: 'no_stream' });

      const stored = await store.readStream(streamId);

      expect(stored.map(({ id, type, data, metadata, streamId: stream, revision }) => ({ id, type, data, metadata, stream, revision }))).toEqual(
        appended.map((event, revision) => ({ ...event, stream: streamId, revision })),
      );
      for (const event of stored) {
        expect(event.recordedAt).toBeInstanceOf(Date);
        // Server clocks may differ a little from ours; a minute is plenty to tell "now" from garbage.
        expect(Math.abs(event.recordedAt.getTime() - before)).toBeLessThan(60_000);
      }
      expect(stored[1].position).toBeGreaterThan(stored[0].position);
      expect(stored[2].position).toBeGreaterThan(stored[1].position);
    });

    it('starts at fromRevision', async () => {
      const streamId = accountStream();
      await store.appendToStream(streamId, [1, 2, 3, 4, 5].map(pointsAdded), { expectedRevision: 'no_stream' });

      const tail = await store.readStream(streamId, { fromRevision: 2 });

      expect(tail.map((event) => event.revision)).toEqual([2, 3, 4]);
      expect(await store.readStream(streamId, { fromRevision: 5 })).toEqual([]);
    });

    it('returns [] for a stream that does not exist', async () => {
      expect(await store.readStream(accountStream())).toEqual([]);
    });
  });

  describe('readAll and headPosition', () => {
    it('reads every stream in global order strictly after a position', async () => {
      const [alice, bob] = [accountStream(), accountStream()];
      const head = await store.headPosition();
      const a1 = await store.appendToStream(alice, [pointsAdded(1), pointsAdded(2)], { expectedRevision: 'no_stream' });
      const b1 = await store.appendToStream(bob, [pointsAdded(3)], { expectedRevision: 'no_stream' });
      const a2 = await store.appendToStream(alice, [pointsAdded(4)], { expectedRevision: 1 });

      const ours = (await store.readAll({ after: head })).filter((event) => event.streamId === alice || event.streamId === bob);

      expect(ours.map((event) => [event.streamId, event.revision])).toEqual([
        [alice, 0],
        [alice, 1],
        [bob, 0],
        [alice, 2],
      ]);
      expect(ours.map((event) => event.position).slice(1)).toEqual([a1.position, b1.position, a2.position]);
      const afterFirst = (await store.readAll({ after: ours[0].position })).filter((event) => event.streamId === alice);
      expect(afterFirst.map((event) => event.revision)).toEqual([1, 2]);
    });

    it('pages with after and maxCount without gaps or repeats', async () => {
      const streamId = accountStream();
      const head = await store.headPosition();
      const appended = [1, 2, 3, 4, 5].map(pointsAdded);
      const last = await store.appendToStream(streamId, appended, { expectedRevision: 'no_stream' });

      const seen: StoredEvent[] = [];
      let after = head;
      while (after < last.position) {
        const page = await store.readAll({ after, maxCount: 2 });
        expect(page.length).toBeGreaterThan(0);
        expect(page.length).toBeLessThanOrEqual(2);
        expect(page[0].position).toBeGreaterThan(after);
        seen.push(...page);
        after = page[page.length - 1].position;
      }

      const positions = seen.map((event) => event.position);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      expect(new Set(positions).size).toBe(positions.length);
      expect(seen.filter((event) => event.streamId === streamId).map((event) => event.id)).toEqual(appended.map((event) => event.id));
    });

    it('gives the position of the newest event as head', async () => {
      const appended = await store.appendToStream(accountStream(), [pointsAdded(1), pointsAdded(2)], { expectedRevision: 'no_stream' });

      const head = await store.headPosition();

      expect(head).toBeGreaterThanOrEqual(appended.position);
      expect(await store.readAll({ after: head })).toEqual([]);
    });
  });

  describe('subscribeToAll', () => {
    it('catches up on stored events, then receives live appends', async () => {
      const streamId = accountStream();
      const streams = new Set([streamId]);
      const head = await store.headPosition();
      const stored = await store.appendToStream(streamId, [pointsAdded(1), pointsAdded(2)], { expectedRevision: 'no_stream' });
      const { iterator } = subscribe(head);

      const caughtUp = await receive(iterator, streams, 2);
      const live = store.appendToStream(streamId, [pointsAdded(3)], { expectedRevision: stored.nextExpectedRevision });
      const arrived = await receive(iterator, streams, 1);

      expect(caughtUp.events.map((event) => event.revision)).toEqual([0, 1]);
      expect(arrived.events.map((event) => event.revision)).toEqual([2]);
      expect(arrived.events[0].position).toBe((await live).position);
    });

    it('delivers catch-up in batches no larger than batchSize, in global order', async () => {
      const streamId = accountStream();
      const head = await store.headPosition();
      await store.appendToStream(streamId, [1, 2, 3, 4, 5, 6, 7].map(pointsAdded), { expectedRevision: 'no_stream' });
      const { iterator } = subscribe(head, 3);

      const { events, batches } = await receive(iterator, new Set([streamId]), 7);

      for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(3);
      expect(events.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const positions = batches.flat().map((event) => event.position);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    });

    it('resumes from a checkpoint after close without losing or repeating events', async () => {
      const streamId = accountStream();
      const streams = new Set([streamId]);
      const head = await store.headPosition();
      await store.appendToStream(streamId, [pointsAdded(1), pointsAdded(2)], { expectedRevision: 'no_stream' });
      const first = subscribe(head);
      const before = await receive(first.iterator, streams, 2);
      const checkpoint = before.batches.flat().at(-1)?.position as GlobalPosition;
      await first.subscription.close();

      await store.appendToStream(streamId, [pointsAdded(3), pointsAdded(4)], { expectedRevision: 1 });
      const resumed = subscribe(checkpoint);
      const after = await receive(resumed.iterator, streams, 2);

      expect([...before.events, ...after.events].map((event) => event.revision)).toEqual([0, 1, 2, 3]);
      expect(after.batches.flat()[0].position).toBeGreaterThan(checkpoint);
    });

    it('serves two pending next() calls one after the other', async () => {
      const streamId = accountStream();
      const { iterator } = subscribe(await store.headPosition(), 1);
      const first = iterator.next();
      const second = iterator.next();

      await store.appendToStream(streamId, [pointsAdded(1), pointsAdded(2)], { expectedRevision: 'no_stream' });
      const [a, b] = await withTimeout(Promise.all([first, second]), 'both pending next() calls');

      expect(a.done || b.done).toBe(false);
      expect([...a.value, ...b.value].filter((event: StoredEvent) => event.streamId === streamId).map((event: StoredEvent) => event.revision)).toEqual([0, 1]);
    });

    it('ends a pending next() when closed', async () => {
      const { subscription, iterator } = subscribe(await store.headPosition());
      const pending = iterator.next();

      await subscription.close();

      await expect(withTimeout(pending, 'the pending next() to end')).resolves.toEqual({ done: true, value: undefined });
    });
  });
}

describe('EventStore contract: SQLite', () => {
  eventStoreContract(async () => {
    const file = join(tmpdir(), `event-store-contract-${randomUUID()}.sqlite`);
    const db = openSqlite(file);
    const store = new SqliteEventStore(db);
    return {
      store,
      dispose: async () => {
        await store.close();
        db.close();
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
      },
    };
  });
});

describeWithServer('EventStore contract: EventStoreDB', eventStoreDbConnectionString, 'EVENTSTORE_CONNECTION_STRING', () => {
  eventStoreContract(async () => {
    const store = new EventStoreDbEventStore(eventStoreDbConnectionString as string);
    return { store, dispose: () => store.close() };
  });
});

describeWithServer('EventStore contract: PostgreSQL', databaseUrl, 'DATABASE_URL', () => {
  // a fresh schema per test: the adapter creates its tables in it on first use
  eventStoreContract(async () => {
    const schema = `contract_${randomUUID().replace(/-/g, '')}`;
    const store = new PostgresEventStore({ connectionString: databaseUrl as string, schema });
    return {
      store,
      dispose: async () => {
        await store.close();
        const admin = new Client({ connectionString: databaseUrl });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      },
    };
  });
});
