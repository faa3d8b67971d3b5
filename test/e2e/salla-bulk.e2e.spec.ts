import { PointsQueries } from '@app/engine';
import { pointsAccountDecider, pointsAccountStream } from '@app/ledger';
import { startTestEngine, TestEngine } from '../support/engine';

const ROUTE = '/admin/v2/customers/loyalty/points';
const COUNT = 10_000;
const STORE = { tenant: 'default', storeCode: 'DEFAULT' };

/** One Salla request for 10,000 customers: every account ends equal to its own fold, refusals are exactly the short ones, a retry changes nothing. */
describe('Salla bulk: 10,000 customers in one request', () => {
  let engine: TestEngine;
  const ids = Array.from({ length: COUNT }, (_, i) => i + 1);
  const post = (body: object, key?: string) =>
    engine
      .http()
      .post(ROUTE)
      .set({ Authorization: `Bearer ${engine.token}`, ...(key ? { 'Idempotency-Key': key } : {}) })
      .send(body);

  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(() => engine.close());

  it('deducts from those who have enough, lists exactly the others, and every balance equals its fold', async () => {
    expect((await post({ points: 100, type: 'plus', reason: 'welcome', channel_send: [], customers: ids }).expect(201)).body.data.updated_customers).toBe(COUNT);
    const evens = ids.filter((id) => id % 2 === 0);
    expect((await post({ points: 100, type: 'plus', reason: 'bonus', channel_send: [], customers: evens }).expect(201)).body.data.updated_customers).toBe(evens.length);

    const deduction = { points: 150, type: 'minus', reason: 'annual fee', channel_send: [], customers: ids };
    const first = await post(deduction, 'salla-bulk-fee').expect(201);
    expect(first.body.data.updated_customers).toBe(evens.length);
    const refused = first.body.data.failed_customers as Array<{ id: number; code: string }>;
    expect(refused.map((customer) => customer.id)).toEqual(ids.filter((id) => id % 2 === 1));
    expect(new Set(refused.map((customer) => customer.code))).toEqual(new Set(['insufficient_points']));

    // the view (pages of summaries) against the fold of each account's own stream, and the expected figure
    const queries = engine.app.get(PointsQueries);
    const viewed = new Map<string, number>();
    for (let after: string | undefined; ; ) {
      const page = await queries.summaries({ ...STORE, limit: 1_000, ...(after ? { after: { storeCode: STORE.storeCode, customerId: after } } : {}) });
      for (const account of page) viewed.set(account.customerId, account.available);
      if (page.length < 1_000) break;
      after = page[page.length - 1].customerId;
    }
    expect(viewed.size).toBe(COUNT);
    const mismatches: string[] = [];
    for (const id of ids) {
      const history = await engine.infrastructure.eventStore.readStream(pointsAccountStream({ ...STORE, customerId: String(id) }));
      const folded = history.map((e) => ({ type: e.type, data: e.data }) as never).reduce(pointsAccountDecider.evolve, pointsAccountDecider.initialState());
      const available = folded.status === 'open' ? folded.balance.available : -1;
      const expected = id % 2 === 0 ? 50_00 : 100_00;
      if (available !== expected || viewed.get(String(id)) !== available) mismatches.push(`${id}: fold ${available}, view ${viewed.get(String(id))}, expected ${expected}`);
    }
    expect(mismatches).toEqual([]);

    const head = await engine.infrastructure.eventStore.headPosition();
    const retry = await post(deduction, 'salla-bulk-fee').expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);
  }, 300_000);
});
