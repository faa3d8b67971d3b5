import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { openSqlite } from '@app/event-store/sqlite/sqlite-database';
import { MongoSubscriberStore } from '@app/engine/subscribers/mongo-subscriber-store';
import { SqliteSubscriberStore } from '@app/engine/subscribers/sqlite-subscriber-store';
import type { OutboxDelivery, SubscriberStore, WebhookEndpointRecord } from '@app/engine/subscribers/subscriber-store.port';
import { describeWithServer, mongoUri } from '../support/servers';

jest.setTimeout(60_000);

interface Harness {
  store: SubscriberStore;
  /** the same data opened again, as after a restart */
  reopen(): Promise<SubscriberStore>;
  close(): Promise<void>;
}

function sqliteHarness(): () => Promise<Harness> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subscribers-'));
    const path = join(dir, 'loyalty.db');
    const dbs = [openSqlite(path)];
    const store = new SqliteSubscriberStore(dbs[0]);
    await store.prepare();
    return {
      store,
      reopen: async () => {
        const db = openSqlite(path);
        dbs.push(db);
        const again = new SqliteSubscriberStore(db);
        await again.prepare();
        return again;
      },
      close: async () => {
        for (const db of dbs) db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

function mongoHarness(): () => Promise<Harness> {
  return async () => {
    const client = await MongoClient.connect(mongoUri as string);
    const name = `subscribers_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const store = new MongoSubscriberStore(client.db(name));
    await store.prepare();
    return {
      store,
      reopen: async () => {
        const again = new MongoSubscriberStore(client.db(name));
        await again.prepare();
        return again;
      },
      close: async () => {
        await client.db(name).dropDatabase();
        await client.close();
      },
    };
  };
}

function endpoint(tenant: string, id = `ep_${randomUUID().slice(0, 8)}`): WebhookEndpointRecord {
  return {
    id,
    tenant,
    url: 'http://127.0.0.1:9/hooks',
    eventTypes: ['points.added'],
    stores: [],
    secrets: [{ secret: 'whsec_c2VjcmV0', createdAt: '2026-01-01T00:00:00.000Z' }],
    state: 'active',
    checkpoint: 10,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

function delivery(endpointId: string, position: number, streamId = 'account:S:c1'): OutboxDelivery {
  return { endpointId, position, streamId, webhookId: `msg_${position}`, eventType: 'points.added', body: `{"position":${position}}`, attempts: 0, nextAttemptAt: 1_000 };
}

function subscriberStoreContract(kind: string, open: () => Promise<Harness>): void {
  let harness: Harness;
  let store: SubscriberStore;
  beforeEach(async () => {
    harness = await open();
    store = harness.store;
  });
  afterEach(() => harness.close());

  it(`${kind}: a consumer checkpoint starts at -1 and moves only from where the caller saw it`, async () => {
    expect(await store.readCheckpoint('p2p')).toBe(-1);
    expect(await store.storeCheckpoint('p2p', -1, 5)).toBe(true);
    expect(await store.storeCheckpoint('p2p', -1, 7)).toBe(false);
    expect(await store.storeCheckpoint('p2p', 4, 7)).toBe(false);
    expect(await store.storeCheckpoint('p2p', 5, 9)).toBe(true);
    expect(await (await harness.reopen()).readCheckpoint('p2p')).toBe(9);
    expect(await store.readCheckpoint('other')).toBe(-1);
  });

  it(`${kind}: endpoints belong to one tenant; changes lay over them; delete takes their outbox and log`, async () => {
    const mine = endpoint('t1');
    await store.createEndpoint(mine);
    await store.createEndpoint(endpoint('t2'));
    expect(await store.endpoint('t2', mine.id)).toBeUndefined();
    expect((await store.endpoints('t1')).map((e) => e.id)).toEqual([mine.id]);
    expect(await store.allEndpoints()).toHaveLength(2);

    const failing = await store.updateEndpoint('t1', mine.id, { failingSince: '2026-01-02T00:00:00.000Z', description: 'crm' }, '2026-01-02T00:00:00.000Z');
    expect(failing).toMatchObject({ failingSince: '2026-01-02T00:00:00.000Z', description: 'crm', url: mine.url, checkpoint: 10 });
    const paused = await store.updateEndpoint('t1', mine.id, { state: 'paused', stoppedAt: '2026-01-03T00:00:00.000Z', stoppedReason: 'down' }, '2026-01-03T00:00:00.000Z');
    expect(paused).toMatchObject({ state: 'paused', stoppedReason: 'down' });
    const resumed = (await store.updateEndpoint('t1', mine.id, { state: 'active', failingSince: null }, '2026-01-04T00:00:00.000Z')) as WebhookEndpointRecord;
    expect(resumed.failingSince).toBeUndefined();
    expect(resumed.stoppedReason).toBeUndefined();
    expect(resumed).toMatchObject({ state: 'active', description: 'crm', updatedAt: '2026-01-04T00:00:00.000Z' });
    expect(await store.updateEndpoint('t2', mine.id, { description: 'x' }, '2026-01-04T00:00:00.000Z')).toBeUndefined();

    await store.enqueue(mine.id, [delivery(mine.id, 11)], 10, 11);
    await store.logAttempt({ endpointId: mine.id, webhookId: 'msg_11', eventType: 'points.added', attempt: 1, outcome: 'retrying', latencyMs: 3, attemptedAt: '2026-01-04T00:00:00.000Z' });
    expect(await store.deleteEndpoint('t2', mine.id)).toBe(false);
    expect(await store.deleteEndpoint('t1', mine.id)).toBe(true);
    expect(await store.countOutstanding(mine.id)).toBe(0);
    expect(await store.deliveries(mine.id, 10)).toEqual([]);
    expect(await store.endpoint('t1', mine.id)).toBeUndefined();
  });

  it(`${kind}: enqueue moves the checkpoint compare-and-set; a repeat adds nothing; only deliveries up to the checkpoint are handed out`, async () => {
    const e = endpoint('t1');
    await store.createEndpoint(e);
    expect(await store.enqueue(e.id, [delivery(e.id, 11), delivery(e.id, 12, 'account:S:c2')], 10, 12)).toBe(true);
    expect((await store.endpoint('t1', e.id))?.checkpoint).toBe(12);
    // a stale caller (a replay moved the checkpoint) changes nothing
    expect(await store.enqueue(e.id, [delivery(e.id, 13)], 10, 13)).toBe(false);
    expect((await store.endpoint('t1', e.id))?.checkpoint).toBe(12);
    expect((await store.outstanding(e.id, 12, 100)).map((d) => d.position)).toEqual([11, 12]);

    await store.reschedule(e.id, 11, 1, 5_000, 1_000);
    expect(await store.outstanding(e.id, 12, 100)).toEqual([
      { ...delivery(e.id, 11), attempts: 1, nextAttemptAt: 5_000, firstAttemptAt: 1_000 },
      delivery(e.id, 12, 'account:S:c2'),
    ]);
    // matched again after a rewind: what is still waiting keeps its attempts
    expect(await store.rewindEndpoint('t1', e.id, 10, '2026-01-05T00:00:00.000Z')).toBe(true);
    expect(await store.enqueue(e.id, [delivery(e.id, 11), delivery(e.id, 12, 'account:S:c2')], 10, 12)).toBe(true);
    expect((await store.outstanding(e.id, 12, 100))[0].attempts).toBe(1);
    expect(await store.countOutstanding(e.id)).toBe(2);

    await store.rescheduleAll(e.id, 9_000);
    expect((await store.outstanding(e.id, 12, 100)).map((d) => d.nextAttemptAt)).toEqual([9_000, 9_000]);
    await store.complete(e.id, 11);
    expect((await (await harness.reopen()).outstanding(e.id, 12, 100)).map((d) => d.position)).toEqual([12]);
    expect(await store.outstanding(e.id, 11, 100)).toEqual([]);
  });

  it(`${kind}: settling a batch completes some deliveries, reschedules others and logs every attempt`, async () => {
    const e = endpoint('t1');
    await store.createEndpoint(e);
    await store.enqueue(e.id, [delivery(e.id, 11), delivery(e.id, 12, 'account:S:c2'), delivery(e.id, 13, 'account:S:c3')], 10, 13);
    const attempt = (position: number, outcome: 'delivered' | 'retrying') => ({ endpointId: e.id, webhookId: `msg_${position}`, eventType: 'points.added', position, attempt: 1, outcome, latencyMs: 1, attemptedAt: '2026-01-01T00:00:00.000Z' });
    await store.settle([
      { endpointId: e.id, position: 11, attempt: attempt(11, 'delivered') },
      { endpointId: e.id, position: 12, next: { attempts: 1, nextAttemptAt: 7_000, firstAttemptAt: 1_000 }, attempt: attempt(12, 'retrying') },
    ]);
    const left = await (await harness.reopen()).outstanding(e.id, 13, 100);
    expect(left.map((d) => [d.position, d.attempts, d.nextAttemptAt])).toEqual([
      [12, 1, 7_000],
      [13, 0, 1_000],
    ]);
    expect((await store.deliveries(e.id, 10)).map((entry) => entry.position)).toEqual([12, 11]);
  });

  it(`${kind}: a batch write enqueues for several endpoints and settles attempts, each enqueue answered on its own`, async () => {
    const a = endpoint('t1');
    const b = endpoint('t1');
    await store.createEndpoint(a);
    await store.createEndpoint(b);
    await store.enqueue(a.id, [delivery(a.id, 11)], 10, 11);
    const moved = await store.writeBatch(
      [
        { endpointId: a.id, deliveries: [delivery(a.id, 12)], expected: 11, next: 12 },
        { endpointId: b.id, deliveries: [delivery(b.id, 12)], expected: 9, next: 12 },
      ],
      [{ endpointId: a.id, position: 11, attempt: { endpointId: a.id, webhookId: 'msg_11', eventType: 'points.added', attempt: 1, outcome: 'delivered', latencyMs: 1, attemptedAt: '2026-01-01T00:00:00.000Z' } }],
    );
    expect(moved).toEqual([true, false]);
    expect((await store.outstanding(a.id, 12, 10)).map((d) => d.position)).toEqual([12]);
    expect(await store.countOutstanding(b.id)).toBe(0);
    expect((await store.endpoint('t1', b.id))?.checkpoint).toBe(10);
  });

  it(`${kind}: the delivery log lists an endpoint's attempts newest first`, async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      await store.logAttempt({ endpointId: 'ep1', webhookId: 'msg_1', eventType: 'points.added', position: 1, attempt, status: 500 + attempt, outcome: 'retrying', latencyMs: attempt, responseExcerpt: `try ${attempt}`, attemptedAt: `2026-01-0${attempt}T00:00:00.000Z` });
    }
    await store.logAttempt({ endpointId: 'ep2', webhookId: 'msg_2', eventType: 'points.added', attempt: 1, outcome: 'delivered', latencyMs: 1, attemptedAt: '2026-01-01T00:00:00.000Z' });
    const log = await store.deliveries('ep1', 2);
    expect(log.map((entry) => entry.attempt)).toEqual([3, 2]);
    expect(log[0]).toEqual({ endpointId: 'ep1', webhookId: 'msg_1', eventType: 'points.added', position: 1, attempt: 3, status: 503, outcome: 'retrying', latencyMs: 3, responseExcerpt: 'try 3', attemptedAt: '2026-01-03T00:00:00.000Z' });
  });
}

describe('subscriber store: SQLite adapter', () => subscriberStoreContract('sqlite', sqliteHarness()));
describeWithServer('subscriber store: MongoDB adapter', mongoUri, 'MONGODB_URI', () => subscriberStoreContract('mongodb', mongoHarness()));
