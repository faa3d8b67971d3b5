import { seededRandom } from '@app/read-models/testing/seeded-random';
import { randomUUID } from 'node:crypto';
import { PointsAccountEvent, pointsAccountDecider, PointsAccountState, parsePointsAccountStream } from '@app/ledger';
import { startTestEngine, TestEngine } from '../support/engine';

const STATE_NAMES = { active: 'active', pending: 'pending', expired: 'expired', cancelled: 'canceled' } as const;

describe('listing, summary and histogram agree with the ledger', () => {
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });

  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(() => engine.close());

  it('after a random mix of adds, spends, blocks, cancels, activations, expiries and p2p transfers', async () => {
    const seed = Number(process.env.MIX_SEED ?? 20240611);
    const next = seededRandom(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
    const amount = () => (1 + Math.floor(next() * 4000)) / 100;
    const customers: string[] = Array.from({ length: 5 }, () => randomUUID());
    const transfers: string[] = [];
    const pendingTransfers: string[] = [];
    const statuses: number[] = [];
    const post = async (path: string, body?: object) => {
      const response = await engine.http().post(`/api/DEFAULT${path}`).set(auth()).send(body ?? {});
      statuses.push(response.status);
      return response;
    };

    for (const customer of customers) transfers.push((await post('/points/transfer/add', { transfer: { customer, points: 50 } })).body.pointsTransferId);
    for (let step = 0; step < 160; step++) {
      const customer = pick(customers);
      const roll = next();
      if (roll < 0.25) {
        const pending = next() < 0.3;
        const added = await post('/points/transfer/add', { transfer: { customer, points: amount(), ...(pending ? { pendingDays: 5 } : { validityDays: 1 + Math.floor(next() * 60) }) } });
        if (added.status === 200) (pending ? pendingTransfers : transfers).push(added.body.pointsTransferId);
      } else if (roll < 0.45) {
        const spent = await post('/points/transfer/spend', { transfer: { customer, points: amount() } });
        if (spent.status === 200) transfers.push(spent.body.pointsTransferId);
      } else if (roll < 0.55) {
        const blocked = await post('/points/transfer/block', { transfer: { customer, points: amount() / 4 } });
        if (blocked.status === 200) transfers.push(blocked.body.pointsTransferId);
      } else if (roll < 0.67) {
        await post(`/points/transfer/${pick(transfers)}/cancel`);
      } else if (roll < 0.75 && pendingTransfers.length) {
        await post(`/points/transfer/${pick(pendingTransfers)}/activate`);
      } else if (roll < 0.83) {
        await post(`/points/transfer/${pick([...transfers, ...pendingTransfers])}/expire`);
      } else {
        const receiver = pick(customers);
        await post('/admin/p2p-points-transfer', { transfer: { sender: customer, receiver, points: amount() } });
      }
    }
    // business refusals (422/409) are expected in a random mix; a 500 never is
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(statuses.filter((status) => status === 200 || status === 204).length).toBeGreaterThan(80);

    // the ledger: every stored account event, folded per stream by the decider
    const states = new Map<string, PointsAccountState>();
    for (const event of await engine.infrastructure.eventStore.readAll()) {
      const account = parsePointsAccountStream(event.streamId);
      if (!account || account.storeCode !== 'DEFAULT' || !customers.includes(account.customerId)) continue;
      const state = states.get(account.customerId) ?? pointsAccountDecider.initialState();
      states.set(account.customerId, pointsAccountDecider.evolve(state, { type: event.type, data: event.data } as PointsAccountEvent));
    }
    expect(states.size).toBe(customers.length);

    const totals = { earned: 0, spent: 0, expired: 0, pending: 0 };
    for (const customer of customers) {
      const state = states.get(customer)!;
      const { balance } = state;
      const summary = (await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(auth()).expect(200)).body;
      expect({ customer, ...summary, expiringIn30Days: undefined, lastChangeAt: undefined }).toEqual({
        customer,
        customerId: customer,
        active: balance.available / 100,
        pending: balance.pending / 100,
        blocked: balance.blocked / 100,
        earned: balance.earned / 100,
        spent: balance.spent / 100,
        expired: balance.expired / 100,
        p2pIn: balance.p2pReceived / 100,
        p2pOut: balance.p2pSent / 100,
        expiringIn30Days: undefined,
        lastChangeAt: undefined,
      });

      const expectedRows = [
        ...state.lots.map((lot) => ({ id: lot.id, type: lot.type, state: STATE_NAMES[lot.state], value: lot.points / 100 })),
        ...state.spendings.map((s) => ({ id: s.id, type: s.type, state: s.state === 'active' ? 'active' : 'canceled', value: s.points / 100 })),
        ...state.blocks.map((b) => ({ id: b.id, type: 'blocked', state: b.state === 'active' ? 'active' : 'canceled', value: b.points / 100 })),
      ].sort((a, b) => a.id.localeCompare(b.id));
      const listed = (await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${customer}&perPage=500&sort=pointsTransferId`).set(auth()).expect(200)).body;
      expect(listed.total).toBe(expectedRows.length);
      const rows = listed.transfers.map((t: { pointsTransferId: string; type: string; state: string; value: number }) => ({ id: t.pointsTransferId, type: t.type, state: t.state, value: t.value }));
      expect(rows.sort((a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id))).toEqual(expectedRows);

      totals.earned += balance.earned + balance.p2pReceived;
      totals.spent += balance.spent + balance.p2pSent;
      totals.expired += balance.expired;
      totals.pending += balance.pending;
    }

    // the histogram over the whole store; everything happened in the last two days (today, or yesterday across midnight)
    // the histogram is store-wide: no account but these may exist in this engine yet
    const strangers = (await engine.infrastructure.eventStore.readAll()).filter((event) => {
      const account = parsePointsAccountStream(event.streamId);
      return account?.storeCode === 'DEFAULT' && !customers.includes(account.customerId);
    });
    expect(strangers).toEqual([]);
    for (const pointType of ['earned', 'spent', 'expired', 'pending'] as const) {
      const histogram = (await engine.http().get(`/api/DEFAULT/points/transfers?pointType=${pointType}&lastDays=2`).set(auth()).expect(200)).body as Record<string, number>;
      const sum = Object.values(histogram).reduce((a, b) => a + Math.round(b * 100), 0);
      expect({ pointType, sum }).toEqual({ pointType, sum: totals[pointType] });
    }
    const monthly = (await engine.http().get('/api/DEFAULT/points/transfers?pointType=earned&lastDays=2&interval=month').set(auth()).expect(200)).body as Record<string, number>;
    expect(Object.values(monthly).reduce((a, b) => a + Math.round(b * 100), 0)).toBe(totals.earned);
  });

  it('futureDays shows scheduled expiries (expired) and activations (pending) on their days', async () => {
    const customer = randomUUID();
    const histogram = async (pointType: string) =>
      (await engine.http().get(`/api/DEFAULT/points/transfers?pointType=${pointType}&lastDays=1&futureDays=5`).set(auth()).expect(200)).body as Record<string, number>;
    const [expiringBefore, activatingBefore] = [await histogram('expired'), await histogram('pending')];
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: '12.5', validityDays: 3 } }).expect(200);
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 4, pendingDays: 2 } }).expect(200);
    const [expiring, activating] = [await histogram('expired'), await histogram('pending')];
    expect(Object.keys(expiring)).toHaveLength(6);
    const change = (after: Record<string, number>, before: Record<string, number>) =>
      Object.fromEntries(Object.keys(after).map((day) => [day, Math.round((after[day] - before[day]) * 100) / 100]).filter(([, delta]) => delta !== 0));
    // days counted from the server's today (the histogram's first key), not the host clock's, which may have passed midnight
    const today = Object.keys(expiring)[0];
    const day = (offset: number) => new Date(Date.parse(`${today}T00:00:00.000Z`) + offset * 86_400_000).toISOString().slice(0, 10);
    // today: the pending lot's points sit in today's pending bucket until they activate
    expect(change(expiring, expiringBefore)).toEqual({ [day(3)]: 12.5 });
    expect(change(activating, activatingBefore)).toEqual({ [day(0)]: 4, [day(2)]: 4 });
  });
});
