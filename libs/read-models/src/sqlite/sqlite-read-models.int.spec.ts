import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openSqlite, SqliteDatabase } from '@app/event-store/sqlite/sqlite-database';
import { SqliteEventStore } from '@app/event-store/sqlite/sqlite-event-store';
import type { NewEvent } from '@app/event-store/event-store.port';
import { pointsAccountStream } from '@app/ledger/streams';
import { ALL_PROJECTIONS, ProjectionRunner, SqliteProjectionStore, SqliteReadModels, TRANSFERS, TRANSFER_SORT_FIELDS, transfersProjection } from '@app/read-models';
import type { TransferListQuery, TransferSort } from '@app/read-models';

/**
 * How the SQLite adapter reads a listing: through an index that matches the filter or the sort,
 * never by scanning the store's rows, and sorting only when the matches are fewer than the window.
 * Checked on the plans SQLite reports (EXPLAIN QUERY PLAN) for the statements the adapter runs.
 */
const T = 'acme';
const S = 'DEFAULT';

describe('SQLite transfer listing access paths', () => {
  let dir: string;
  let db: SqliteDatabase;
  let events: SqliteEventStore;
  let plans: string[][];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'listing-plans-'));
    db = openSqlite(join(dir, 'loyalty.db'));
    events = new SqliteEventStore(db, { pollIntervalMs: 20 });
    const meta = { tenant: T, storeCode: S, correlationId: 'c', causationId: 'c', issuer: 'api', actor: 'test', schemaVersion: 1 };
    for (let c = 0; c < 40; c++) {
      const customerId = `c${c}`;
      const batch: NewEvent[] = [
        { id: randomUUID(), type: 'AccountOpened', data: { accountId: `acc-${c}`, tenant: T, storeCode: S, customerId, openedAt: '2026-01-01T00:00:00.000Z' }, metadata: meta },
      ];
      for (let i = 0; i < 5; i++) {
        const data = { transferId: `t-${c}-${i}`, type: 'adding', points: 100 * (1 + ((c + i) % 7)), state: i === 4 ? 'pending' : 'active', createdAt: `2026-01-0${1 + i}T10:00:00.000Z` };
        batch.push({ id: randomUUID(), type: 'PointsAdded', data: i === 4 ? { ...data, activatesAt: '2026-06-01T00:00:00.000Z' } : data, metadata: meta });
      }
      await events.appendToStream(pointsAccountStream({ tenant: T, storeCode: S, customerId }), batch);
    }
    const runner = new ProjectionRunner(events, new SqliteProjectionStore(db), ALL_PROJECTIONS);
    await runner.start();
    await runner.waitFor(await events.headPosition());
    await runner.stop();
  });

  afterAll(async () => {
    await events.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** read models over a connection that records the plan of every statement it runs */
  function planned(options?: ConstructorParameters<typeof SqliteReadModels>[1]): SqliteReadModels {
    const recording = new Proxy(db, {
      get(target, key) {
        if (key !== 'prepare') return Reflect.get(target, key);
        return (sql: string) => {
          const statement = target.prepare(sql);
          const explain = target.prepare(`EXPLAIN QUERY PLAN ${sql}`);
          const record = (params: unknown[]): void => void plans.push((explain.all(...params) as Array<{ detail: string }>).map((row) => row.detail));
          return new Proxy(statement, {
            get(inner, name) {
              const value = Reflect.get(inner, name);
              if (name === 'get' || name === 'all') return (...params: unknown[]) => (record(params), value.apply(inner, params));
              return typeof value === 'function' ? value.bind(inner) : value;
            },
          });
        };
      },
    });
    return new SqliteReadModels(recording, options);
  }

  /** plan: every statement's plan, joined; statements: one line per statement (the count, then the page) */
  async function planOf(views: SqliteReadModels, query: Partial<TransferListQuery>): Promise<{ plan: string; statements: string[]; ids: string[] }> {
    plans = [];
    const list = await views.transfers.list({ tenant: T, storeCode: S, ...query });
    // the statements over the transfers view (not the data-version check of the kept counts)
    const statements = plans.map((lines) => lines.join(' | ')).filter((plan) => plan.includes(' transfers '));
    return { plan: statements.join(' || '), statements, ids: list.rows.map((row) => row.transferId) };
  }

  it("a customer's listing walks (tenant, storeCode, customerId, createdAt, transferId): no scan of the store, no sort", async () => {
    const views = planned();
    for (const direction of ['ASC', 'DESC'] as const) {
      const { plan, statements, ids } = await planOf(views, { customerId: 'c7', sort: 'createdAt', direction });
      expect(ids).toEqual(direction === 'ASC' ? ['t-7-0', 't-7-1', 't-7-2', 't-7-3', 't-7-4'] : ['t-7-4', 't-7-3', 't-7-2', 't-7-1', 't-7-0']);
      // five rows on a page of ten: the page itself gives the total, nothing is counted
      expect(statements).toHaveLength(1);
      for (const statement of statements) expect(statement).toMatch(/USING (COVERING )?INDEX ix_transfers_1_\w+ \(tenant=\? AND storeCode=\? AND customerId=\?\)/);
      expect(plan).not.toMatch(/SCAN transfers|TEMP B-TREE/);
    }
    // a full page: the total is counted (is there a 10,000th match? then the exact count) on the same index
    const fullPage = await planOf(views, { customerId: 'c7', sort: 'createdAt', direction: 'DESC', perPage: 2 });
    expect(fullPage.ids).toEqual(['t-7-4', 't-7-3']);
    expect(fullPage.statements).toHaveLength(3);
    for (const statement of fullPage.statements) expect(statement).toMatch(/INDEX ix_transfers_1_\w+ \(tenant=\? AND storeCode=\? AND customerId=\?\)/);
    expect((await views.transfers.list({ tenant: T, storeCode: S, customerId: 'c7', perPage: 2 })).total).toBe(5);
    // sorted by another column: the customer's few rows are read through the same index and sorted
    const byValue = await planOf(views, { customerId: 'c7', sort: 'value', direction: 'DESC' });
    for (const statement of byValue.statements) expect(statement).toMatch(/customerId=\?/);
    expect(byValue.plan).not.toMatch(/SCAN transfers/);
  });

  it('a single state or type with the default sort walks that filter index; an unfiltered listing walks the sort index', async () => {
    const views = planned();
    const byType = await planOf(views, { type: 'adding', perPage: 50, page: 3 });
    const byState = await planOf(views, { states: ['pending'], direction: 'DESC' });
    expect(byType.ids).toHaveLength(50);
    for (const statement of byType.statements) expect(statement).toMatch(/INDEX ix_transfers_7_\w+ \(tenant=\? AND storeCode=\? AND type=\?\)/);
    for (const statement of byState.statements) expect(statement).toMatch(/INDEX ix_transfers_6_\w+ \(tenant=\? AND storeCode=\? AND state=\?\)/);
    expect(byType.plan + byState.plan).not.toMatch(/TEMP B-TREE/);
    for (const sort of Object.keys(TRANSFER_SORT_FIELDS) as TransferSort[])
      for (const direction of ['ASC', 'DESC'] as const) {
        const { plan, ids } = await planOf(views, { sort, direction });
        expect({ sort, direction, ids: ids.length, scans: /SCAN transfers|TEMP B-TREE/.test(plan) }).toEqual({ sort, direction, ids: 10, scans: false });
      }
  });

  it('many matches walk the sort index and filter; the rows are those the filter index gives', async () => {
    const sortingBelowWindow = planned();
    const walkingAlways = planned({ sortMatchesBelow: 0 });
    const queries: Array<Partial<TransferListQuery>> = [
      { type: 'adding', sort: 'value', direction: 'DESC', perPage: 7, page: 3 },
      { states: ['active', 'pending'], sort: 'createdAt', direction: 'DESC', perPage: 9, page: 2 },
      { states: ['pending'], sort: 'pointsTransferId', perPage: 5, page: 2 },
      { customerId: 'c3', type: 'adding', states: ['active'], sort: 'value' },
    ];
    for (const query of queries) {
      const sorted = await planOf(sortingBelowWindow, query);
      const walked = await planOf(walkingAlways, query);
      expect({ query, ids: walked.ids }).toEqual({ query, ids: sorted.ids });
      expect(walked.plan).not.toMatch(/SCAN transfers/);
    }
    expect((await planOf(walkingAlways, { type: 'adding', sort: 'value' })).plan).toMatch(/INDEX ix_transfers_8_\w+ \(tenant=\? AND storeCode=\?\)/);
    expect((await planOf(walkingAlways, { states: ['pending'], sort: 'pointsTransferId' })).plan).toMatch(/sqlite_autoindex_transfers_1 \(id>\? AND id<\?\)/);
  });

  it('a kept count is dropped by any write: through this connection, or committed by another', async () => {
    const views = new SqliteReadModels(db);
    const adding = async (): Promise<number> => (await views.transfers.list({ tenant: T, storeCode: S, type: 'adding', perPage: 2 })).total;
    expect(await adding()).toBe(200);
    expect(await adding()).toBe(200);
    const meta = { tenant: T, storeCode: S, correlationId: 'c', causationId: 'c', issuer: 'api', actor: 'test', schemaVersion: 1 };
    const data = { transferId: 't-0-9', type: 'adding', points: 100, state: 'active', createdAt: '2026-01-09T10:00:00.000Z' };
    await events.appendToStream(pointsAccountStream({ tenant: T, storeCode: S, customerId: 'c0' }), [{ id: randomUUID(), type: 'PointsAdded', data, metadata: meta }]);
    const runner = new ProjectionRunner(events, new SqliteProjectionStore(db), ALL_PROJECTIONS);
    await runner.start();
    await runner.waitFor(await events.headPosition());
    await runner.stop();
    expect(await adding()).toBe(201);
    const other = openSqlite(join(dir, 'loyalty.db'));
    other.prepare(`DELETE FROM transfers WHERE transferId IN ('t-0-9', 't-1-0')`).run();
    other.close();
    expect(await adding()).toBe(199);
  });

  it('a live table from an older index list gets the current indexes and loses the obsolete ones on start', async () => {
    const columns = (): string[][] =>
      (db.prepare(`PRAGMA index_list(transfers)`).all() as Array<{ name: string }>)
        .filter((index) => index.name.startsWith('ix_'))
        .map((index) => (db.prepare(`PRAGMA index_info("${index.name}")`).all() as Array<{ seqno: number; name: string }>).sort((a, b) => a.seqno - b.seqno).map((c) => c.name));
    const first = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transfers' AND name LIKE 'ix_transfers_1_%'`).get() as { name: string }).name;
    db.exec(`DROP INDEX "${first}"`);
    db.exec(`CREATE INDEX "ix_transfers_12_0badc0de" ON transfers ("tenant", "storeCode", "transferId")`);
    await new SqliteProjectionStore(db).prepare(transfersProjection);
    expect(columns().sort()).toEqual(TRANSFERS.indexes.map((fields) => [...fields]).sort());
  });

  it('a live table from before a field was added gets the column on start, empty in the rows already there', async () => {
    db.exec(`ALTER TABLE transfers DROP COLUMN "customerReason"`);
    await new SqliteProjectionStore(db).prepare(transfersProjection);
    const names = (db.prepare(`SELECT name FROM pragma_table_info('transfers')`).all() as Array<{ name: string }>).map((column) => column.name);
    expect(names).toContain('customerReason');
    const { rows } = await new SqliteReadModels(db).transfers.list({ tenant: T, storeCode: S, customerId: 'c2', perPage: 5 });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.customerReason === null)).toBe(true);
  });
});
