import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, SqliteEventStore, type SqliteDatabase } from '@app/event-store';
import { LedgerError, pointsAccountDecider, type PointsAccountCommand } from '@app/ledger';
import { AggregateService } from './aggregate.service';

/**
 * Two AggregateServices over one SQLite file stand for two API processes: each remembers the states it
 * appended, and neither hears of the other's appends except through the store.
 */
describe('AggregateService with another writer on the same streams', () => {
  const stream = 'pointsAccount-acme:web:alice';
  const now = '2026-01-01T00:00:00.000Z';
  let dir: string;
  let dbA: SqliteDatabase;
  let dbB: SqliteDatabase;
  let a: AggregateService<PointsAccountCommand, never, ReturnType<typeof pointsAccountDecider.initialState>>;
  let b: typeof a;

  const add = (transferId: string, points: number): PointsAccountCommand => ({
    type: 'AddPoints',
    data: { transferId, points, state: 'active', now, openAccount: { accountId: 'acc-1', tenant: 'acme', storeCode: 'web', customerId: 'alice' } },
  });
  const spend = (transferId: string, points: number): PointsAccountCommand => ({ type: 'SpendPoints', data: { transferId, points, now } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aggregate-'));
    dbA = openSqlite(join(dir, 'loyalty.db'));
    dbB = openSqlite(join(dir, 'loyalty.db'));
    a = new AggregateService(new SqliteEventStore(dbA), pointsAccountDecider as never);
    b = new AggregateService(new SqliteEventStore(dbB), pointsAccountDecider as never);
  });

  afterEach(() => {
    dbA.close();
    dbB.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a state remembered before the other writer appended is not trusted: the append conflicts and the command is decided again', async () => {
    await a.handle(stream, add('t1', 1000), {});
    await b.handle(stream, spend('t2', 600), {});
    // a still remembers 1000 available; deciding on it would overdraw
    await expect(a.handle(stream, spend('t3', 600), {})).rejects.toMatchObject({ code: 'insufficient_points' });
    const after = await a.handle(stream, spend('t4', 400), {});
    expect(after.state.balance.available).toBe(0);
    expect(after.revision).toBe(3);
    expect((await a.load(stream)).state).toEqual((await b.load(stream)).state);
  });

  it('a refusal decided on a remembered state is checked against the stream first', async () => {
    await a.handle(stream, add('t1', 100), {});
    await b.handle(stream, add('t2', 900), {});
    // a remembers only 100 available: the spend of 500 would be refused on that state
    const spent = await a.handle(stream, spend('t3', 500), {});
    expect(spent.state.balance.available).toBe(500);
    expect(spent.revision).toBe(3);
  });

  it('a refusal that holds on the stream too is still a refusal', async () => {
    await a.handle(stream, add('t1', 100), {});
    await expect(a.handle(stream, spend('t2', 500), {})).rejects.toBeInstanceOf(LedgerError);
  });
});
