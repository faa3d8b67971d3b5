import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { NewEvent } from '@app/event-store/event-store.port';
import { openSqlite, SqliteDatabase } from '@app/event-store/sqlite/sqlite-database';
import { SqliteEventStore } from '@app/event-store/sqlite/sqlite-event-store';
import { customerStream, pointsAccountStream } from '@app/ledger/streams';
import {
  ALL_PROJECTIONS,
  MONGO_CHECKPOINTS,
  MongoCheckpoint,
  MongoProjectionStore,
  MongoReadModels,
  ProjectionRunner,
  ProjectionStore,
  ReadModelQueries,
  SqliteProjectionStore,
  SqliteReadModels,
  TransferListQuery,
  TransferSort,
  mongoCollectionName,
  rollUpHistogram,
  sqliteTableName,
  withNulls,
} from '@app/read-models';
import { LedgerSimulation } from '@app/read-models/testing/ledger-simulation';
import { describeWithServer, mongoUri } from '../support/servers';

/** correctness, not speed: FerretDB on a busy machine may take longer than the API's 10 s */
const CAUGHT_UP = { timeoutMs: 60_000 };

/**
 * One contract for the read models, run against the SQLite adapter always and the MongoDB adapter
 * when MONGODB_URI is set. Events go through a real SqliteEventStore; views are read through the
 * query ports the API uses.
 */

interface Harness {
  events: SqliteEventStore;
  store: ProjectionStore;
  views: ReadModelQueries;
  runner: ProjectionRunner;
  /** every stored document of every projection collection, sorted, for whole-view comparisons */
  snapshot(): Promise<Record<string, unknown[]>>;
  /** forget a projection's checkpoint, as if the process died after writing views but before the checkpoint */
  forgetCheckpoint(name: string): Promise<void>;
  /** simulated-ledger sizes are multiplied by this: FerretDB scans a collection for every update */
  scale: number;
  close(): Promise<void>;
}

type HarnessFactory = () => Promise<Harness>;

// FerretDB answers every write of a batch separately, so the Mongo half needs more than jest's default 5 s
jest.setTimeout(120_000);

function sqliteHarness(): HarnessFactory {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'views-'));
    const db: SqliteDatabase = openSqlite(join(dir, 'loyalty.db'));
    const events = new SqliteEventStore(db, { pollIntervalMs: 20 });
    const store = new SqliteProjectionStore(db);
    const runner = new ProjectionRunner(events, store, ALL_PROJECTIONS, { batchSize: 200, rebuildBatchSize: 300 });
    return {
      scale: 1,
      events,
      store,
      views: new SqliteReadModels(db),
      runner,
      snapshot: async () => {
        const out: Record<string, unknown[]> = {};
        for (const projection of ALL_PROJECTIONS)
          for (const collection of projection.collections)
            out[collection.name] = db.prepare(`SELECT * FROM "${sqliteTableName(collection)}" ORDER BY id`).all();
        return out;
      },
      forgetCheckpoint: async (name) => {
        db.prepare('UPDATE projection_checkpoints SET position = -1 WHERE name = ?').run(name);
      },
      close: async () => {
        await runner.stop();
        await events.close();
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

function mongoHarness(): HarnessFactory {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'views-events-'));
    const db = openSqlite(join(dir, 'events.db'));
    const events = new SqliteEventStore(db, { pollIntervalMs: 20 });
    const client = await new MongoClient(mongoUri as string).connect();
    const mongo = client.db(`views_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
    const store = new MongoProjectionStore(mongo, { dropOldGenerationAfterMs: 0 });
    const runner = new ProjectionRunner(events, store, ALL_PROJECTIONS, { batchSize: 200, rebuildBatchSize: 300 });
    return {
      scale: 0.2,
      events,
      store,
      views: new MongoReadModels(mongo, { generationCacheMs: 0 }),
      runner,
      snapshot: async () => {
        const out: Record<string, unknown[]> = {};
        for (const projection of ALL_PROJECTIONS) {
          const checkpoint = await mongo.collection<MongoCheckpoint>(MONGO_CHECKPOINTS).findOne({ _id: projection.name });
          for (const collection of projection.collections) {
            const docs = await mongo
              .collection<{ _id: string }>(mongoCollectionName(collection, checkpoint?.generation ?? 0))
              .find({})
              .sort({ _id: 1 })
              .toArray();
            // field order differs between an inserted and an updated document, and FerretDB drops nulls on insert
            out[collection.name] = docs.map((doc) => Object.fromEntries(Object.entries(withNulls(collection, doc)).sort(([a], [b]) => a.localeCompare(b))));
          }
        }
        return out;
      },
      forgetCheckpoint: async (name) => {
        await mongo.collection<MongoCheckpoint>(MONGO_CHECKPOINTS).updateOne({ _id: name }, { $set: { position: -1 } });
      },
      close: async () => {
        await runner.stop();
        await events.close();
        db.close();
        await mongo.dropDatabase().catch(() => undefined);
        await client.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

const T = 'acme';
const S = 'DEFAULT';

function meta(storeCode: string, issuer = 'admin'): Record<string, unknown> {
  return { tenant: T, storeCode, correlationId: 'c', causationId: 'c', issuer, actor: 'test', schemaVersion: 1 };
}

function event(type: string, data: object, storeCode = S, issuer = 'admin'): NewEvent {
  return { id: randomUUID(), type, data, metadata: meta(storeCode, issuer) };
}

async function appendAccount(h: Harness, customerId: string, events: NewEvent[], storeCode = S): Promise<number> {
  const result = await h.events.appendToStream(pointsAccountStream({ tenant: T, storeCode, customerId }), events);
  return result.position;
}

async function appendCustomer(h: Harness, customerId: string, events: NewEvent[]): Promise<number> {
  return (await h.events.appendToStream(customerStream(T, customerId), events)).position;
}

function registered(customerId: string, profile: object, storeCode = S): NewEvent {
  return event('CustomerRegistered', { customerId, tenant: T, storeCode, registeredAt: '2026-01-01T09:00:00.000Z', ...profile });
}

function opened(customerId: string, storeCode = S): NewEvent {
  return event('AccountOpened', { accountId: `acc-${customerId}-${storeCode}`, tenant: T, storeCode, customerId, openedAt: '2026-01-01T09:00:00.000Z' }, storeCode);
}

function added(transferId: string, points: number, createdAt: string, extra: object = {}, storeCode = S): NewEvent {
  return event('PointsAdded', { transferId, type: 'adding', points, state: 'active', createdAt, ...extra }, storeCode, 'system');
}

/** A small store with two customers whose every transfer kind is known by heart. */
async function seedStory(h: Harness): Promise<number> {
  await appendCustomer(h, 'anna', [registered('anna', { firstName: 'Anna', lastName: 'Nowak', email: 'Anna@Example.com', phone: '+48111', customerNumber: 'N1', loyaltyCardNumber: 'CARD-1' })]);
  await appendCustomer(h, 'bob', [registered('bob', { firstName: 'Bob', lastName: 'Smith', email: 'bob@example.com', phone: '+48222', customerNumber: 'N2', loyaltyCardNumber: 'CARD-2' })]);
  await appendAccount(h, 'anna', [
    opened('anna'),
    added('a1', 10_000, '2026-01-01T10:00:00.000Z', { expiresAt: '2026-02-01T00:00:00.000Z', comment: 'first purchase' }),
    added('a2', 5_000, '2026-01-02T10:00:00.000Z', { state: 'pending', activatesAt: '2026-01-10T00:00:00.000Z', expiresAt: '2026-03-01T00:00:00.000Z' }),
    added('a3', 2_000, '2026-01-02T11:00:00.000Z'),
    event('PointsSpent', { transferId: 's1', type: 'spending', points: 3_000, allocations: [{ lotId: 'a1', points: 3_000 }], createdAt: '2026-01-03T10:00:00.000Z' }, S, 'api'),
    event('PointsBlocked', { transferId: 'b1', points: 1_000, createdAt: '2026-01-03T11:00:00.000Z', comment: 'fraud check' }),
    event('PointsActivated', { transferId: 'a2', points: 5_000, activatedAt: '2026-01-10T00:00:00.000Z' }, S, 'system'),
    event('PointsCancelled', { transferId: 'a3', points: 2_000, cancelledType: 'adding', cancelledAt: '2026-01-11T00:00:00.000Z' }),
    event('PointsSpent', { transferId: 's2', type: 'spending', points: 1_500, allocations: [{ lotId: 'a1', points: 1_500 }], createdAt: '2026-01-12T10:00:00.000Z' }, S, 'customer'),
    event('PointsCancelled', { transferId: 's2', points: 1_500, cancelledType: 'spending', restored: [{ lotId: 'a1', points: 1_500, expired: false }], cancelledAt: '2026-01-13T10:00:00.000Z' }),
  ]);
  return appendAccount(h, 'bob', [
    opened('bob'),
    added('b-lot1', 700, '2026-01-05T10:00:00.000Z', { expiresAt: '2026-01-20T00:00:00.000Z', referenceId: 'ORDER-7', transactionId: 'TX-7' }),
    added('b-lot2', 300, '2026-01-06T10:00:00.000Z', { state: 'pending', activatesAt: '2026-02-15T00:00:00.000Z' }),
    event('PointsExpired', { lotId: 'b-lot1', points: 700, expiredAt: '2026-01-20T00:00:00.000Z' }, S, 'system'),
  ]);
}

interface TieRow {
  transferId: string;
  customerId: string;
  lastName: string;
  value: number;
  createdAt: string;
  expiresAt: string | null;
  state: string;
  type: string;
}

/**
 * 36 transfers over three customers whose values, days and states repeat and whose ids do not follow
 * their creation order, so a listing's order depends on its tie-breakers (createdAt, then transferId).
 */
async function seedTies(h: Harness): Promise<TieRow[]> {
  const people = [
    ['cyd', 'Cyd', 'Zed'],
    ['anna', 'Anna', 'Nowak'],
    ['bob', 'Bob', 'Nowak'],
  ];
  for (const [customerId, firstName, lastName] of people) await appendCustomer(h, customerId, [registered(customerId, { firstName, lastName })]);
  const rows: TieRow[] = [];
  const perCustomer = new Map<string, NewEvent[]>(people.map(([customerId]) => [customerId, [opened(customerId)]]));
  for (let i = 0; i < 36; i++) {
    const [customerId, , lastName] = people[i % 3];
    const transferId = `t${String((i * 7) % 36).padStart(2, '0')}`;
    const createdAt = `2026-01-0${1 + (i % 4)}T10:00:00.000Z`;
    const value = (1 + ((i * 5) % 3)) * 100;
    if (i % 6 === 5) {
      perCustomer.get(customerId)!.push(event('PointsBlocked', { transferId, points: value, createdAt }));
      rows.push({ transferId, customerId, lastName, value, createdAt, expiresAt: null, state: 'active', type: 'blocked' });
    } else {
      const pending = i % 4 === 1;
      const expiresAt = i % 2 ? null : `2026-0${2 + (i % 3)}-01T00:00:00.000Z`;
      perCustomer
        .get(customerId)!
        .push(added(transferId, value, createdAt, { ...(pending ? { state: 'pending', activatesAt: '2026-06-01T00:00:00.000Z' } : {}), ...(expiresAt ? { expiresAt } : {}) }));
      rows.push({ transferId, customerId, lastName, value, createdAt, expiresAt, state: pending ? 'pending' : 'active', type: 'adding' });
    }
  }
  for (const [customerId, events] of perCustomer) await appendAccount(h, customerId, events);
  return rows;
}

/** what a listing must return: filtered, then sorted by the column, createdAt and transferId (nulls first), all one direction */
function expectedListing(rows: TieRow[], key: keyof TieRow, descending: boolean, keep: (row: TieRow) => boolean = () => true): string[] {
  const compare = (a: string | number | null, b: string | number | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
  const keys = [...new Set([key, 'createdAt', 'transferId'] as Array<keyof TieRow>)];
  return rows
    .filter(keep)
    .sort((a, b) => {
      for (const k of keys) {
        const c = compare(k === 'lastName' ? a[k].toLowerCase() : a[k], k === 'lastName' ? b[k].toLowerCase() : b[k]);
        if (c) return descending ? -c : c;
      }
      return 0;
    })
    .map((row) => row.transferId);
}

function viewContract(adapter: string, makeHarness: HarnessFactory): void {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function project(): Promise<number> {
    const head = await h.events.headPosition();
    await h.runner.start();
    await h.runner.waitFor(head, CAUGHT_UP);
    return head;
  }

  it(`[${adapter}] account summaries follow adds, spends, blocks, activations, cancels and expiries`, async () => {
    await seedStory(h);
    await project();
    const anna = await h.views.accounts.account(T, S, 'anna');
    // a1 10000 - 3000 spent (s2 spent then restored) ; a2 5000 activated ; a3 cancelled ; b1 blocks 1000
    expect(anna).toMatchObject({
      accountId: 'acc-anna-DEFAULT',
      available: 7_000 + 5_000 - 1_000,
      pending: 0,
      blocked: 1_000,
      earned: 10_000 + 5_000,
      spent: 3_000,
      expired: 0,
      p2pIn: 0,
      p2pOut: 0,
      lastChangeAt: '2026-01-13T10:00:00.000Z',
    });
    const bob = await h.views.accounts.account(T, S, 'bob');
    // b-lot2 is still pending: not earned yet (the ledger's definition)
    expect(bob).toMatchObject({ available: 0, pending: 300, expired: 700, earned: 700 });
    const batch = await h.views.accounts.accounts(T, S, ['anna', 'bob', 'nobody']);
    expect(batch.map((account) => account.customerId).sort()).toEqual(['anna', 'bob']);
    expect(await h.views.accounts.account(T, 'OTHER', 'anna')).toBeUndefined();
  });

  it(`[${adapter}] pages through a store's accounts, or a tenant's, in (store, customer) order without gaps or repeats`, async () => {
    const added = (n: number) => ({ type: 'PointsAdded', data: { transferId: `t-${n}`, type: 'adding', points: 100 * n, state: 'active', createdAt: '2026-01-01T00:00:00.000Z' } });
    const expected: string[] = [];
    for (const [store, customers] of [['A', ['c3', 'c1', 'c2']], ['B', ['c1', 'c4']], ['C', ['c2']]] as const) {
      for (const [n, customerId] of customers.entries()) {
        await h.events.appendToStream(`pointsAccount-${T}:${store}:${customerId}`, [
          { id: randomUUID(), ...added(n + 1), metadata: { tenant: T, storeCode: store } },
        ]);
      }
      expected.push(...[...customers].sort().map((c) => `${store}/${c}`));
    }
    await h.events.appendToStream(`pointsAccount-elsewhere:A:c9`, [{ id: randomUUID(), ...added(9), metadata: { tenant: 'elsewhere', storeCode: 'A' } }]);
    await project();
    const walk = async (storeCode?: string): Promise<string[]> => {
      const seen: string[] = [];
      let after: { storeCode: string; customerId: string } | undefined;
      for (;;) {
        const page = await h.views.accounts.page({ tenant: T, storeCode, after, limit: 2 });
        seen.push(...page.map((a) => `${a.storeCode}/${a.customerId}`));
        if (page.length < 2) return seen;
        after = page[page.length - 1];
      }
    };
    expect(await walk()).toEqual(expected);
    expect(await walk('A')).toEqual(['A/c1', 'A/c2', 'A/c3']);
    expect(await walk('B')).toEqual(['B/c1', 'B/c4']);
    expect(await walk('Z')).toEqual([]);
    expect((await h.views.accounts.page({ tenant: T, storeCode: 'A', limit: 10 }))[0]).toMatchObject({ customerId: 'c1', available: 200 });
  });

  it(`[${adapter}] lists transfers with the seed's filters, sort, direction, paging and total`, async () => {
    await seedStory(h);
    await project();
    const all = await h.views.transfers.list({ tenant: T, storeCode: S, perPage: 50 });
    expect(all.total).toBe(8);
    expect(all.rows.map((row) => row.transferId)).toEqual(['a1', 'a2', 'a3', 's1', 'b1', 'b-lot1', 'b-lot2', 's2']);
    // createdAt ASC is the default order
    const created = all.rows.map((row) => row.createdAt);
    expect([...created].sort()).toEqual(created);
    const a1 = all.rows.find((row) => row.transferId === 'a1');
    expect(a1).toMatchObject({
      accountId: 'acc-anna-DEFAULT',
      customerId: 'anna',
      firstName: 'Anna',
      lastName: 'Nowak',
      email: 'Anna@Example.com',
      phone: '+48111',
      loyaltyCardNumber: 'CARD-1',
      state: 'active',
      type: 'adding',
      value: 10_000,
      expiresAt: '2026-02-01T00:00:00.000Z',
      comment: 'first purchase',
      issuer: 'system',
    });
    expect(all.rows.find((row) => row.transferId === 'b-lot1')).toMatchObject({ state: 'expired', referenceId: 'ORDER-7', transactionId: 'TX-7' });
    expect(all.rows.find((row) => row.transferId === 'a3')?.state).toBe('canceled');
    expect(all.rows.find((row) => row.transferId === 's2')).toMatchObject({ state: 'canceled', type: 'spending', issuer: 'customer' });
    expect(all.rows.find((row) => row.transferId === 'b1')).toMatchObject({ type: 'blocked', value: 1_000, comment: 'fraud check' });
    expect(all.rows.find((row) => row.transferId === 'b-lot2')).toMatchObject({ state: 'pending', activatesAt: '2026-02-15T00:00:00.000Z' });

    const ids = async (query: object): Promise<string[]> =>
      (await h.views.transfers.list({ tenant: T, storeCode: S, perPage: 50, ...query })).rows.map((row) => row.transferId).sort();
    expect(await ids({ customerFirstName: 'anna' })).toEqual(['a1', 'a2', 'a3', 'b1', 's1', 's2']);
    expect(await ids({ customerLastName: 'SMITH' })).toEqual(['b-lot1', 'b-lot2']);
    expect(await ids({ customerEmail: 'anna@example.com' })).toEqual(['a1', 'a2', 'a3', 'b1', 's1', 's2']);
    expect(await ids({ customerPhone: '+48222' })).toEqual(['b-lot1', 'b-lot2']);
    expect(await ids({ customerId: 'bob' })).toEqual(['b-lot1', 'b-lot2']);
    expect(await ids({ states: ['expired', 'canceled'] })).toEqual(['a3', 'b-lot1', 's2']);
    expect(await ids({ type: 'spending' })).toEqual(['s1', 's2']);
    expect(await ids({ type: 'spending', states: ['active'], customerId: 'anna' })).toEqual(['s1']);
    expect(await ids({ tenant: 'other' })).toEqual([]);

    const byValueDesc = await h.views.transfers.list({ tenant: T, storeCode: S, sort: 'value', direction: 'DESC', perPage: 3 });
    expect(byValueDesc.rows.map((row) => row.value)).toEqual([10_000, 5_000, 3_000]);
    expect(byValueDesc.total).toBe(8);
    const page2 = await h.views.transfers.list({ tenant: T, storeCode: S, sort: 'value', direction: 'DESC', perPage: 3, page: 2 });
    expect(page2.rows.map((row) => row.value)).toEqual([2_000, 1_500, 1_000]);
    const page4 = await h.views.transfers.list({ tenant: T, storeCode: S, perPage: 3, page: 4 });
    expect(page4).toEqual({ rows: [], total: 8 });
    const byName = await h.views.transfers.list({ tenant: T, storeCode: S, sort: 'customerLastName', direction: 'DESC', perPage: 50 });
    expect(byName.rows.slice(0, 2).map((row) => row.lastName)).toEqual(['Smith', 'Smith']);
    const beyondWindow = await h.views.transfers.list({ tenant: T, storeCode: S, perPage: 100, page: 101 });
    expect(beyondWindow.rows).toEqual([]);
    expect(await h.views.transfers.byId(T, S, 's1')).toMatchObject({ value: 3_000, issuer: 'api' });
  });

  it(`[${adapter}] a transfer row carries its customer-facing reason and never the internal reason`, async () => {
    await appendAccount(h, 'carol', [
      opened('carol'),
      added('c1', 1_000, '2026-01-01T10:00:00.000Z', { reason: 'goodwill, ticket 4711', customerReason: 'Sorry for the late delivery' }),
      added('c2', 500, '2026-01-01T11:00:00.000Z'),
      event('PointsSpent', { transferId: 'c3', type: 'spending', points: 200, allocations: [{ lotId: 'c1', points: 200 }], createdAt: '2026-01-02T10:00:00.000Z', reason: 'chargeback 99', customerReason: 'Order 99 was returned' }),
    ]);
    await project();
    const rows = (await h.views.transfers.list({ tenant: T, storeCode: S, customerId: 'carol', perPage: 10 })).rows;
    expect(rows.map((row) => [row.transferId, row.customerReason])).toEqual([
      ['c1', 'Sorry for the late delivery'],
      ['c2', null],
      ['c3', 'Order 99 was returned'],
    ]);
    expect(await h.views.transfers.byId(T, S, 'c3')).toMatchObject({ customerReason: 'Order 99 was returned' });
    // the internal reason is not part of the view at all
    expect(JSON.stringify(rows)).not.toMatch(/ticket 4711|chargeback 99/);
  });

  it(`[${adapter}] every listing, filtered or not, pages in the order sort column, createdAt, transferId`, async () => {
    const rows = await seedTies(h);
    await project();
    const pages = async (query: Partial<TransferListQuery>): Promise<string[]> => {
      const out: string[] = [];
      for (let page = 1; ; page++) {
        const list = await h.views.transfers.list({ tenant: T, storeCode: S, perPage: 5, page, ...query });
        out.push(...list.rows.map((row) => row.transferId));
        if (list.rows.length < 5) return out;
      }
    };
    const sorts: Array<[TransferSort, keyof TieRow]> = [
      ['createdAt', 'createdAt'],
      ['value', 'value'],
      ['customerId', 'customerId'],
      ['customerLastName', 'lastName'],
      ['expiresAt', 'expiresAt'],
      ['state', 'state'],
      ['type', 'type'],
      ['pointsTransferId', 'transferId'],
    ];
    for (const [sort, key] of sorts)
      for (const direction of ['ASC', 'DESC'] as const) {
        const descending = direction === 'DESC';
        const cases: Array<[Partial<TransferListQuery>, (row: TieRow) => boolean]> = [
          [{}, () => true],
          [{ customerId: 'bob' }, (row) => row.customerId === 'bob'],
          [{ customerLastName: 'NOWAK' }, (row) => row.lastName === 'Nowak'],
          [{ type: 'blocked' }, (row) => row.type === 'blocked'],
          [{ states: ['pending'] }, (row) => row.state === 'pending'],
          [{ states: ['active', 'pending'], type: ['adding'] }, (row) => row.type === 'adding'],
          [{ customerId: 'anna', type: 'adding', states: ['active'] }, (row) => row.customerId === 'anna' && row.type === 'adding' && row.state === 'active'],
        ];
        for (const [filter, keep] of cases) {
          expect({ sort, direction, filter, ids: await pages({ sort, direction, ...filter }) }).toEqual({ sort, direction, filter, ids: expectedListing(rows, key, descending, keep) });
        }
      }
    expect((await h.views.transfers.list({ tenant: T, storeCode: S, type: 'blocked' })).total).toBe(6);
    expect((await h.views.transfers.list({ tenant: T, storeCode: S, customerLastName: 'nowak', perPage: 3, page: 9 })).total).toBe(24);
  });

  it(`[${adapter}] finds customers by id, number, e-mail, phone and card, scoped to tenant and store`, async () => {
    await seedStory(h);
    await project();
    expect(await h.views.customers.byId(T, S, 'anna')).toMatchObject({ firstName: 'Anna', customerNumber: 'N1' });
    expect(await h.views.customers.byId(T, 'OTHER', 'anna')).toBeUndefined();
    expect((await h.views.customers.findBy(T, S, 'customerNumber', 'N2'))?.customerId).toBe('bob');
    expect((await h.views.customers.findBy(T, S, 'email', 'ANNA@example.COM'))?.customerId).toBe('anna');
    expect((await h.views.customers.findBy(T, S, 'phone', '+48222'))?.customerId).toBe('bob');
    expect((await h.views.customers.findBy(T, S, 'loyaltyCardNumber', 'CARD-1'))?.customerId).toBe('anna');
    expect(await h.views.customers.findBy('other', S, 'loyaltyCardNumber', 'CARD-1')).toBeUndefined();
  });

  it(`[${adapter}] finds a customer in any store of the tenant, first by store when several stores share the value`, async () => {
    await seedStory(h);
    await appendCustomer(h, 'carl', [registered('carl', { email: 'carl@example.com', customerNumber: 'N1', phone: '+48333' }, 'B2')]);
    await appendCustomer(h, 'dora', [registered('dora', { customerNumber: 'N9' }, 'A0')]);
    await project();
    expect(await h.views.customers.findInTenant(T, 'email', 'CARL@example.com')).toMatchObject({ customerId: 'carl', storeCode: 'B2' });
    expect(await h.views.customers.findInTenant(T, 'phone', '+48222')).toMatchObject({ customerId: 'bob', storeCode: S });
    expect(await h.views.customers.findInTenant(T, 'customerId', 'dora')).toMatchObject({ customerId: 'dora', storeCode: 'A0' });
    expect(await h.views.customers.findInTenant(T, 'loyaltyCardNumber', 'CARD-2')).toMatchObject({ customerId: 'bob' });
    // N1 is anna's in S and carl's in B2: the store that sorts first answers
    expect((await h.views.customers.findInTenant(T, 'customerNumber', 'N1'))?.storeCode).toBe([S, 'B2'].sort()[0]);
    expect(await h.views.customers.findInTenant('other', 'email', 'carl@example.com')).toBeUndefined();
    expect(await h.views.customers.findInTenant(T, 'customerNumber', 'N404')).toBeUndefined();
  });

  it(`[${adapter}] pages through a store's registered customers in customerId order without gaps or repeats`, async () => {
    for (const customerId of ['c5', 'c2', 'c9', 'c1', 'c7']) await appendCustomer(h, customerId, [registered(customerId, { email: `${customerId}@example.com` })]);
    await appendCustomer(h, 'c3', [registered('c3', {}, 'OTHER')]);
    await h.events.appendToStream(customerStream('elsewhere', 'c4'), [
      { ...registered('c4', {}), data: { customerId: 'c4', tenant: 'elsewhere', storeCode: S, registeredAt: '2026-01-01T09:00:00.000Z' }, metadata: { tenant: 'elsewhere', storeCode: S } },
    ]);
    await project();
    const walk = async (storeCode: string): Promise<string[]> => {
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await h.views.customers.page(T, storeCode, after, 2);
        seen.push(...page.map((customer) => customer.customerId));
        if (page.length < 2) return seen;
        after = page[page.length - 1].customerId;
      }
    };
    expect(await walk(S)).toEqual(['c1', 'c2', 'c5', 'c7', 'c9']);
    expect(await walk('OTHER')).toEqual(['c3']);
    expect(await walk('NONE')).toEqual([]);
    expect((await h.views.customers.page(T, S, 'c5', 10))[0]).toMatchObject({ customerId: 'c7', email: 'c7@example.com' });
  });

  it(`[${adapter}] a CustomerUpdated rewrites that customer's existing transfer rows and the lookup`, async () => {
    await seedStory(h);
    await project();
    const position = await appendCustomer(h, 'anna', [event('CustomerUpdated', { lastName: 'Kowalska', email: 'anna.k@example.com', updatedAt: '2026-01-20T00:00:00.000Z' })]);
    await h.runner.waitFor(position, CAUGHT_UP);
    const rows = (await h.views.transfers.list({ tenant: T, storeCode: S, customerId: 'anna', perPage: 50 })).rows;
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row).toMatchObject({ firstName: 'Anna', lastName: 'Kowalska', email: 'anna.k@example.com', phone: '+48111' });
    expect((await h.views.transfers.list({ tenant: T, storeCode: S, customerLastName: 'nowak' })).total).toBe(0);
    expect((await h.views.customers.findBy(T, S, 'email', 'anna.k@example.com'))?.lastName).toBe('Kowalska');
    // rows added after the update carry the new name too
    const later = await appendAccount(h, 'anna', [added('a9', 100, '2026-01-21T00:00:00.000Z')]);
    await h.runner.waitFor(later, CAUGHT_UP);
    expect((await h.views.transfers.byId(T, S, 'a9'))?.lastName).toBe('Kowalska');
  });

  it(`[${adapter}] AccountClosed drops the account, its transfers and its lots`, async () => {
    await seedStory(h);
    await project();
    const position = await appendAccount(h, 'bob', [event('AccountClosed', { closedAt: '2026-01-25T00:00:00.000Z' })]);
    await h.runner.waitFor(position, CAUGHT_UP);
    expect(await h.views.accounts.account(T, S, 'bob')).toBeUndefined();
    expect((await h.views.transfers.list({ tenant: T, storeCode: S, customerId: 'bob' })).total).toBe(0);
    expect(await h.views.lots.lots(T, S, 'bob')).toEqual([]);
    expect((await h.views.transfers.list({ tenant: T, storeCode: S })).total).toBe(6);
  });

  it(`[${adapter}] AccountOpened after AccountClosed starts a fresh account at 0, with only its new transfers and lots`, async () => {
    await seedStory(h);
    await project();
    // closed and reopened in one append (one batch), then credited, reusing an id of the closed life
    const position = await appendAccount(h, 'bob', [
      event('AccountClosed', { closedAt: '2026-01-25T00:00:00.000Z' }),
      event('AccountOpened', { accountId: 'acc-bob-2', tenant: T, storeCode: S, customerId: 'bob', openedAt: '2026-01-26T00:00:00.000Z' }),
      added('b-lot2', 250, '2026-01-27T00:00:00.000Z', { expiresAt: '2026-04-01T00:00:00.000Z' }),
    ]);
    await h.runner.waitFor(position, CAUGHT_UP);
    expect(await h.views.accounts.account(T, S, 'bob')).toMatchObject({
      accountId: 'acc-bob-2',
      available: 250,
      pending: 0,
      blocked: 0,
      earned: 250,
      spent: 0,
      expired: 0,
      lastChangeAt: '2026-01-27T00:00:00.000Z',
    });
    const rows = await h.views.transfers.list({ tenant: T, storeCode: S, customerId: 'bob' });
    expect(rows.rows.map((row) => [row.transferId, row.value, row.state])).toEqual([['b-lot2', 250, 'active']]);
    expect((await h.views.lots.lots(T, S, 'bob')).map((lot) => [lot.lotId, lot.remaining])).toEqual([['b-lot2', 250]]);
    expect((await h.views.accounts.page({ tenant: T, limit: 10 })).map((account) => account.customerId)).toEqual(['anna', 'bob']);
  });

  it(`[${adapter}] lots: remaining, what is due, what expires soon, and scheduled days`, async () => {
    await seedStory(h);
    await project();
    const lots = await h.views.lots.lots(T, S, 'anna');
    expect(lots.map((lot) => [lot.lotId, lot.state, lot.remaining])).toEqual([
      ['a1', 'active', 7_000],
      ['a2', 'active', 5_000],
      ['a3', 'canceled', 0],
    ]);
    expect(await h.views.lots.due('2026-01-01T00:00:00.000Z', 10)).toEqual([]);
    expect(await h.views.lots.due('2026-03-01T00:00:00.000Z', 10)).toEqual([
      { tenant: T, storeCode: S, customerId: 'anna', lotId: 'a1', action: 'expire', dueAt: '2026-02-01T00:00:00.000Z' },
      { tenant: T, storeCode: S, customerId: 'bob', lotId: 'b-lot2', action: 'activate', dueAt: '2026-02-15T00:00:00.000Z' },
      { tenant: T, storeCode: S, customerId: 'anna', lotId: 'a2', action: 'expire', dueAt: '2026-03-01T00:00:00.000Z' },
    ]);
    expect(await h.views.lots.due('2026-03-01T00:00:00.000Z', 1)).toHaveLength(1);
    expect(await h.views.lots.expiringBetween(T, S, 'anna', '2026-01-15T00:00:00.000Z', '2026-02-14T00:00:00.000Z')).toBe(7_000);
    expect(await h.views.lots.expiringBetween(T, S, 'anna', '2026-01-15T00:00:00.000Z', '2026-03-01T00:00:00.000Z')).toBe(12_000);
    expect(await h.views.lots.scheduledPerDay(T, S, 'expiry', '2026-01-15', '2026-03-31')).toEqual({ '2026-02-01': 7_000, '2026-03-01': 5_000 });
    expect(await h.views.lots.scheduledPerDay(T, S, 'activation', '2026-01-15', '2026-03-31')).toEqual({ '2026-02-15': 300 });
  });

  it(`[${adapter}] histogram buckets per day with cancels booked back on their own day, rolled up at query time`, async () => {
    await seedStory(h);
    await project();
    // a2 (pending from 01-02) is earned on its activation day, 01-10; a3's 2000 were cancelled: taken off
    // the day they were earned (01-02, which is then empty); b-lot2 (pending) is not earned
    expect(await h.views.histogram.days(T, S, 'earned', '2026-01-01', '2026-01-31')).toEqual({
      '2026-01-01': 10_000,
      '2026-01-05': 700,
      '2026-01-10': 5_000,
    });
    expect(await h.views.histogram.days(T, S, 'spent', '2026-01-01', '2026-01-31')).toEqual({ '2026-01-03': 3_000 });
    expect(await h.views.histogram.days(T, S, 'expired', '2026-01-01', '2026-01-31')).toEqual({ '2026-01-20': 700 });
    expect(await h.views.histogram.days(T, S, 'pending', '2026-01-01', '2026-01-31')).toEqual({ '2026-01-06': 300 });
    expect(await h.views.histogram.days(T, S, 'earned', '2026-01-02', '2026-01-10')).toEqual({ '2026-01-05': 700, '2026-01-10': 5_000 });
    const days = await h.views.histogram.days(T, S, 'earned', '2025-12-30', '2026-02-02');
    expect(rollUpHistogram(days, 'month', '2025-12-30', '2026-02-02')).toEqual({ '2025-12': 0, '2026-01': 15_700, '2026-02': 0 });
    expect(rollUpHistogram(days, 'year', '2025-12-30', '2026-02-02')).toEqual({ '2025': 0, '2026': 15_700 });
    expect(Object.keys(rollUpHistogram(days, 'day', '2026-01-01', '2026-01-07'))).toHaveLength(7);
  });

  it(`[${adapter}] a simulated ledger: balances match its own fold and the histogram agrees with the accounts`, async () => {
    const simulation = LedgerSimulation.run({ events: 1_500 * h.scale, seed: 7 });
    for (const append of simulation.appends) await h.events.appendToStream(append.streamId, append.events);
    await project();
    for (const expected of simulation.expectedBalances()) {
      const account = await h.views.accounts.account(expected.tenant, expected.storeCode, expected.customerId);
      expect({ ...expected, ...account && { available: account.available, pending: account.pending, blocked: account.blocked } }).toEqual(expected);
      // pending lots are not earned until they activate (the simulation never expires a pending lot)
      expect(account!.available + account!.blocked).toBe(account!.earned + account!.p2pIn - account!.spent - account!.p2pOut - account!.expired);
      const lots = await h.views.lots.lots(expected.tenant, expected.storeCode, expected.customerId);
      const activeRemaining = lots.filter((lot) => lot.state === 'active').reduce((sum, lot) => sum + lot.remaining, 0);
      expect(activeRemaining - account!.blocked).toBe(account!.available);
    }
    // without closes (closing keeps history but drops the account) the histogram's all-time sums equal the accounts'
    const second = LedgerSimulation.run({ events: 800 * h.scale, seed: 11, tenant: 'beta', stores: ['ONLY'] });
    const customerIds = new Set<string>();
    for (const append of second.appends) {
      const events = append.events.filter((e) => e.type !== 'AccountClosed');
      if (append.streamId.startsWith('pointsAccount-')) customerIds.add(append.streamId.split(':')[2]);
      if (events.length) await h.events.appendToStream(append.streamId, events);
    }
    await h.runner.waitFor(await h.events.headPosition(), CAUGHT_UP);
    const accounts = await h.views.accounts.accounts('beta', 'ONLY', [...customerIds]);
    expect(accounts).toHaveLength(customerIds.size);
    const sum = (pick: (a: (typeof accounts)[number]) => number): number => accounts.reduce((total, a) => total + pick(a), 0);
    const histogram = async (type: 'earned' | 'spent' | 'expired' | 'pending'): Promise<number> =>
      Object.values(await h.views.histogram.days('beta', 'ONLY', type, '2000-01-01', '2100-01-01')).reduce((total, v) => total + v, 0);
    expect(await histogram('earned')).toBe(sum((a) => a.earned + a.p2pIn));
    expect(await histogram('spent')).toBe(sum((a) => a.spent + a.p2pOut));
    expect(await histogram('expired')).toBe(sum((a) => a.expired));
    expect(await histogram('pending')).toBe(sum((a) => a.pending));
    expect(await histogram('spent')).toBeGreaterThan(0);
  });

  it(`[${adapter}] redelivering batches (at-least-once) changes nothing`, async () => {
    const simulation = LedgerSimulation.run({ events: 1_000 * h.scale, seed: 3 });
    for (const append of simulation.appends) await h.events.appendToStream(append.streamId, append.events);
    await h.runner.prepare();
    const all = await h.events.readAll();
    const half = Math.floor(all.length / 2);
    for (const projection of ALL_PROJECTIONS) {
      await h.store.applyBatch(projection, all.slice(0, half), -1);
      await h.store.applyBatch(projection, all.slice(half), all[half - 1].position);
    }
    const once = await h.snapshot();
    for (const projection of ALL_PROJECTIONS) {
      // the views were written but the checkpoint "lost": the whole log comes again, in other batch sizes
      await h.forgetCheckpoint(projection.name);
      for (let i = 0; i < all.length; i += 137) await h.store.applyBatch(projection, all.slice(i, i + 137), i === 0 ? -1 : all[i - 1].position);
      // and a batch the checkpoint already covers is skipped
      const again = await h.store.applyBatch(projection, all.slice(0, 50), -1);
      expect(again.applied).toBe(0);
    }
    expect(await h.snapshot()).toEqual(once);
    expect(once.transfers.length).toBeGreaterThan(100 * h.scale);
  });

  it(`[${adapter}] a rebuild gives views equal to the live ones, swaps them in and live processing continues`, async () => {
    const simulation = LedgerSimulation.run({ events: 1_200 * h.scale, seed: 5 });
    for (const append of simulation.appends) await h.events.appendToStream(append.streamId, append.events);
    const head = await project();
    const live = await h.snapshot();
    const progress: number[] = [];
    const reports = await h.runner.rebuild('all', (p) => progress.push(p.done));
    expect(reports.map((r) => r.name)).toEqual(h.runner.list());
    expect(reports.every((r) => r.checkpoint === head && r.events === simulation.eventCount)).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    expect(await h.snapshot()).toEqual(live);
    // the loop that was running follows on from the rebuilt checkpoint
    const position = await appendAccount(h, 'c000001', [added('after-rebuild', 4_200, '2026-06-01T00:00:00.000Z')], 'DEFAULT');
    await h.runner.waitFor(position, CAUGHT_UP);
    expect((await h.views.transfers.byId('acme', 'DEFAULT', 'after-rebuild'))?.value).toBe(4_200);
    const status = await h.runner.status();
    expect(status.map((s) => [s.name, s.checkpoint, s.lag])).toEqual(h.runner.list().map((name) => [name, position, 0]));
  });

  it(`[${adapter}] reports status with lag, and waitFor times out while a projection is behind`, async () => {
    await seedStory(h);
    const head = await h.events.headPosition();
    await h.runner.prepare();
    const before = await h.runner.status();
    expect(before.every((s) => s.checkpoint === -1 && s.head === head && s.lag === 16 && !s.running)).toBe(true);
    await expect(h.runner.waitFor(head, { timeoutMs: 100 })).rejects.toThrow(/did not reach/);
    await h.runner.start();
    await h.runner.waitFor(head, CAUGHT_UP);
    const after = await h.runner.status();
    expect(after.every((s) => s.checkpoint === head && s.lag === 0 && s.running && s.lastUpdateAt !== null)).toBe(true);
  });
}

describe('read-model views: SQLite adapter', () => viewContract('sqlite', sqliteHarness()));

describeWithServer('read-model views: MongoDB adapter', mongoUri, 'MONGODB_URI', () => viewContract('mongodb', mongoHarness()));
