import { randomUUID } from 'node:crypto';
import { Scheduler } from '@app/engine';
import { DAY_MS, ManualClock, parsePointsAccountStream, PointsAccountEvent, pointsAccountDecider, PointsAccountState } from '@app/ledger';
import { startTestEngine, TestEngine } from '../support/engine';

/**
 * The summary's and the histogram's earned/pending follow the ledger (libs/ledger fold.ts
 * `balanceOf`): a lot's points are earned once it is active, not while it is pending; a lot
 * cancelled or expired while pending was never earned. The histogram books a pending lot's
 * points in `pending` on its created day and, once it activates, in `earned` on the activation day.
 * The clock is a manual one, so the days are known.
 */
describe('earned and pending follow the ledger: summary and histogram', () => {
  const clock = new ManualClock('2026-04-01T10:00:00.000Z');
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });
  // days counted from the clock when a test starts, so no test depends on how far the ones before it moved the clock
  let testStart = 0;
  const day = (offset: number) => new Date(testStart + offset * DAY_MS).toISOString().slice(0, 10);

  beforeAll(async () => {
    engine = await startTestEngine({ clock });
  });
  afterAll(() => engine.close());
  beforeEach(() => {
    testStart = clock.now().getTime();
  });

  const add = async (customer: string, points: number, extra: object = {}): Promise<string> =>
    (await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points, ...extra } }).expect(200)).body.pointsTransferId;
  const command = async (transferId: string, action: 'activate' | 'expire' | 'cancel', status: number) =>
    engine.http().post(`/api/DEFAULT/points/transfer/${transferId}/${action}`).set(auth()).send({}).expect(status);
  const summary = async (customer: string) => {
    const body = (await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(auth()).expect(200)).body;
    return { active: body.active, pending: body.pending, earned: body.earned, spent: body.spent, expired: body.expired, p2pIn: body.p2pIn, p2pOut: body.p2pOut };
  };
  /** the same figures from the ledger: the customer's stored events folded by the decider */
  const ledger = async (customer: string) => {
    let state: PointsAccountState = pointsAccountDecider.initialState();
    for (const event of await engine.infrastructure.eventStore.readAll()) {
      const account = parsePointsAccountStream(event.streamId);
      if (account?.storeCode === 'DEFAULT' && account.customerId === customer) {
        state = pointsAccountDecider.evolve(state, { type: event.type, data: event.data } as PointsAccountEvent);
      }
    }
    const b = state.balance;
    return { active: b.available / 100, pending: b.pending / 100, earned: b.earned / 100, spent: b.spent / 100, expired: b.expired / 100, p2pIn: b.p2pReceived / 100, p2pOut: b.p2pSent / 100 };
  };
  const expectSummary = async (customer: string, figures: Partial<Awaited<ReturnType<typeof summary>>>) => {
    const shown = await summary(customer);
    expect(shown).toMatchObject(figures);
    expect(shown).toEqual(await ledger(customer));
  };
  type Histograms = Record<'earned' | 'pending' | 'expired' | 'spent', Record<string, number>>;
  const histograms = async (): Promise<Histograms> => {
    const read = async (pointType: string) =>
      (await engine.http().get(`/api/DEFAULT/points/transfers?pointType=${pointType}&lastDays=20`).set(auth()).expect(200)).body as Record<string, number>;
    return { earned: await read('earned'), pending: await read('pending'), expired: await read('expired'), spent: await read('spent') };
  };
  /** what changed per point type and day between two readings (days the window lost or gained count as 0) */
  const changes = (before: Histograms, after: Histograms) => {
    const out: Record<string, Record<string, number>> = {};
    for (const type of Object.keys(after) as Array<keyof Histograms>) {
      const days = new Set([...Object.keys(before[type]), ...Object.keys(after[type])]);
      const moved = [...days].map((d) => [d, Math.round(((after[type][d] ?? 0) - (before[type][d] ?? 0)) * 100) / 100] as const).filter(([, delta]) => delta !== 0);
      if (moved.length) out[type] = Object.fromEntries(moved);
    }
    return out;
  };

  it('a pending add is not earned; activation moves it from pending to earned, booked on the activation day', async () => {
    const customer = randomUUID();
    const start = await histograms();
    const lot = await add(customer, 12.5, { pendingDays: 5 });
    await expectSummary(customer, { active: 0, pending: 12.5, earned: 0 });
    expect(changes(start, await histograms())).toEqual({ pending: { [day(0)]: 12.5 } });

    clock.advance(2 * DAY_MS);
    await engine.refreshToken();
    await command(lot, 'activate', 204);
    await expectSummary(customer, { active: 12.5, pending: 0, earned: 12.5 });
    expect(changes(start, await histograms())).toEqual({ earned: { [day(2)]: 12.5 } });
  });

  it('a lot cancelled while pending was never earned; an active one cancelled leaves earned', async () => {
    const customer = randomUUID();
    const start = await histograms();
    const pending = await add(customer, 8, { pendingDays: 3 });
    const active = await add(customer, 5);
    await expectSummary(customer, { active: 5, pending: 8, earned: 5 });
    await command(pending, 'cancel', 200);
    await expectSummary(customer, { active: 5, pending: 0, earned: 5 });
    expect(changes(start, await histograms())).toEqual({ earned: { [day(0)]: 5 } });
    await command(active, 'cancel', 200);
    await expectSummary(customer, { active: 0, pending: 0, earned: 0 });
    expect(changes(start, await histograms())).toEqual({});
  });

  it('a lot the scheduler activates and that then expires stays earned and counts as expired', async () => {
    const customer = randomUUID();
    const start = await histograms();
    const lot = await add(customer, 20, { pendingDays: 1 });
    clock.advance(DAY_MS + 60_000);
    await engine.refreshToken();
    await engine.app.get(Scheduler).tick();
    await expectSummary(customer, { active: 20, pending: 0, earned: 20, expired: 0 });
    await command(lot, 'expire', 204);
    await expectSummary(customer, { active: 0, pending: 0, earned: 20, expired: 20 });
    expect(changes(start, await histograms())).toEqual({ earned: { [day(1)]: 20 }, expired: { [day(1)]: 20 } });
  });

  it('p2p: points earned by the sender arrive as p2pIn, not earned, and count in the histogram once', async () => {
    const [sender, receiver] = [randomUUID(), randomUUID()];
    await add(receiver, 1);
    const start = await histograms();
    const lot = await add(sender, 30, { pendingDays: 2 });
    const refused = await engine.http().post('/api/DEFAULT/admin/p2p-points-transfer').set(auth()).send({ transfer: { sender, receiver, points: 10 } });
    expect(refused.status).toBe(422); // pending points cannot be sent
    await command(lot, 'activate', 204);
    await engine.http().post('/api/DEFAULT/admin/p2p-points-transfer').set(auth()).send({ transfer: { sender, receiver, points: 10 } }).expect(200);
    await expectSummary(sender, { active: 20, pending: 0, earned: 30, p2pOut: 10 });
    await expectSummary(receiver, { active: 11, pending: 0, earned: 1, p2pIn: 10 });
    // earned = earned + p2pIn over the store: the sender's 30 and the receiver's 10; spent = spent + p2pOut
    expect(changes(start, await histograms())).toEqual({ earned: { [day(0)]: 40 }, spent: { [day(0)]: 10 } });
  });
});
