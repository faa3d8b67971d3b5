import { randomUUID } from 'node:crypto';
import { P2PProcessManager, PointsService, Scheduler } from '@app/engine';
import { DAY_MS, ManualClock } from '@app/ledger';
import type { StoredEvent } from '@app/event-store';
import { startTestEngine, TestEngine } from '../support/engine';

const eventsOfType = async (engine: TestEngine, type: string, after = -1): Promise<StoredEvent[]> =>
  (await engine.infrastructure.eventStore.readAll({ after })).filter((e) => e.type === type);

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('scheduled activation and expiry', () => {
  const clock = new ManualClock('2026-03-01T10:00:00.000Z');
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });

  beforeAll(async () => {
    engine = await startTestEngine({ clock });
  });
  afterAll(() => engine.close());

  it('time moved past an expiry and an activation: the scheduler emits exactly one event per lot', async () => {
    const customer = randomUUID();
    const expiring = await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 40, validityDays: 1 } }).expect(200);
    const pending = await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 7, pendingDays: 2 } }).expect(200);
    const lasting = await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 3 } }).expect(200);
    const start = await engine.infrastructure.eventStore.headPosition();
    const scheduler = engine.app.get(Scheduler);

    await scheduler.tick();
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(start); // nothing is due yet

    clock.advance(3 * DAY_MS);
    await engine.refreshToken();
    await scheduler.tick();
    await scheduler.tick(); // a second pass (or a second scheduler) finds nothing left to do

    const expired = await eventsOfType(engine, 'PointsExpired', start);
    const activated = await eventsOfType(engine, 'PointsActivated', start);
    expect(expired.map((e) => (e.data as { lotId: string }).lotId)).toEqual([expiring.body.pointsTransferId]);
    expect(activated.map((e) => (e.data as { transferId: string }).transferId)).toEqual([pending.body.pointsTransferId]);
    expect(expired[0].metadata).toMatchObject({ issuer: 'system', actor: 'scheduler' });
    expect(lasting.body.pointsTransferId).toBeDefined();

    const summary = await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(auth()).expect(200);
    expect(summary.body).toMatchObject({ active: 10, pending: 0, expired: 40 });
  });

  it('two schedulers running at once still expire each lot once', async () => {
    const customers = Array.from({ length: 12 }, () => randomUUID());
    for (const customer of customers) {
      await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 2, validityDays: 1 } }).expect(200);
    }
    const start = await engine.infrastructure.eventStore.headPosition();
    clock.advance(2 * DAY_MS);
    await engine.refreshToken();
    // a second, independent scheduler over the same stores, as another replica would run
    const other = new Scheduler(engine.app.get(PointsService), clock, engine.infrastructure.readModels);
    await Promise.all([engine.app.get(Scheduler).tick(), other.tick()]);

    const expired = await eventsOfType(engine, 'PointsExpired', start);
    expect(expired).toHaveLength(customers.length);
    expect(new Set(expired.map((e) => (e.data as { lotId: string }).lotId)).size).toBe(customers.length);
  });

  it('store settings drive new lots: pending days and expiry after N days', async () => {
    await engine.http().put('/api/DEFAULT/settings').set(auth()).send({ pendingDays: 1, expiry: { policy: 'after_days', days: 10 } }).expect(200);
    const settings = await engine.http().get('/api/DEFAULT/settings').set(auth()).expect(200);
    expect(settings.body).toMatchObject({ pendingDays: 1, expiry: { policy: 'after_days', days: 10 }, p2pAllowed: true });

    const customer = randomUUID();
    const before = await engine.infrastructure.eventStore.headPosition();
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 5 } }).expect(200);
    const [added] = await eventsOfType(engine, 'PointsAdded', before);
    const now = clock.now().getTime();
    expect(added.data).toMatchObject({
      state: 'pending',
      activatesAt: new Date(now + DAY_MS).toISOString(),
      expiresAt: new Date(now + 11 * DAY_MS).toISOString(),
    });

    const bad = await engine.http().put('/api/DEFAULT/settings').set(auth()).send({ pendingDays: -1 }).expect(400);
    expect(bad.body.errors[0]).toMatchObject({ field: 'pendingDays' });
    await engine.http().put('/api/DEFAULT/settings').set(auth()).send({ pendingDays: 0, expiry: { policy: 'never' } }).expect(200);
  });
});

describe('peer-to-peer transfers survive a crash between their two steps', () => {
  it('after a restart the receiver is credited exactly once, with the sender lots\' expiry', async () => {
    const clock = new ManualClock('2026-05-01T00:00:00.000Z');
    // first life: no process manager, and only the sender's half is stored, as if the process died right after it
    const first = await startTestEngine({ clock, env: { LOYALTY_RUN_CONSUMERS: 'false' } });
    const sender = randomUUID();
    const receiver = randomUUID();
    await first.http().post('/api/DEFAULT/points/transfer/add').set({ Authorization: `Bearer ${first.token}` }).send({ transfer: { customer: sender, points: 50, validityDays: 20 } }).expect(200);
    const p2pId = randomUUID();
    await first.app.get(PointsService).execute(
      { tenant: 'default', storeCode: 'DEFAULT', customerId: sender },
      { type: 'SendP2P', data: { transferId: randomUUID(), p2pId, points: 3000, senderCustomerId: sender, receiverCustomerId: receiver, now: clock.now().toISOString() } },
    );
    expect(await eventsOfType(first, 'PointsAdded').then((added) => added.filter((e) => (e.data as { p2pId?: string }).p2pId))).toHaveLength(0);
    await first.close({ keepData: true });

    // second life: the process manager finds the half-done transfer and completes it
    const second = await startTestEngine({ clock, dataDir: first.dataDir });
    const credited = await eventually(
      () => eventsOfType(second, 'PointsAdded').then((added) => added.filter((e) => (e.data as { p2pId?: string }).p2pId === p2pId)),
      (found) => found.length > 0,
    );
    expect(credited).toHaveLength(1);
    expect(credited[0].streamId).toContain(receiver);
    expect(credited[0].data).toMatchObject({ type: 'p2p_adding', points: 3000, expiresAt: new Date(Date.parse('2026-05-01T00:00:00.000Z') + 20 * 86_400_000).toISOString() });
    await second.app.get(P2PProcessManager).stop();
    await second.close({ keepData: true });

    // third life: replaying the whole history again credits nothing more
    const third = await startTestEngine({ clock, dataDir: first.dataDir });
    const auth = { Authorization: `Bearer ${third.token}` };
    const summary = await third.http().get(`/api/DEFAULT/customers/${receiver}/points`).set(auth).expect(200);
    expect(summary.body).toMatchObject({ active: 30, p2pIn: 30 });
    const senderSummary = await third.http().get(`/api/DEFAULT/customers/${sender}/points`).set(auth).expect(200);
    expect(senderSummary.body).toMatchObject({ active: 20, p2pOut: 30 });
    expect((await eventsOfType(third, 'PointsAdded')).filter((e) => (e.data as { p2pId?: string }).p2pId === p2pId)).toHaveLength(1);
    await third.close();
  });

  it('the p2p route moves points between customers found by e-mail-less ids, and refuses a transfer to oneself', async () => {
    const engine = await startTestEngine();
    const auth = { Authorization: `Bearer ${engine.token}` };
    const [a, b] = [randomUUID(), randomUUID()];
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth).send({ transfer: { customer: a, points: 100 } }).expect(200);
    const sent = await engine.http().post('/api/DEFAULT/admin/p2p-points-transfer').set(auth).type('form').send(`transfer[sender]=${a}&transfer[receiver]=${b}&transfer[points]=100`).expect(200);
    expect(sent.body.pointsTransferId).toEqual(expect.any(String));
    const receiver = await engine.http().get(`/api/DEFAULT/customers/${b}/points`).set(auth).expect(200);
    expect(receiver.body).toMatchObject({ active: 100, p2pIn: 100 });
    const self = await engine.http().post('/api/DEFAULT/admin/p2p-points-transfer').set(auth).send({ transfer: { sender: b, receiver: b, points: 1 } });
    expect(self.status).toBe(422);
    expect(self.body.code).toBe('p2p_to_self');

    // a closed receiver is refused before the sender's points move
    const closed = randomUUID();
    await engine.app.get(PointsService).openAccount({ tenant: 'default', storeCode: 'DEFAULT', customerId: closed });
    await engine.app.get(PointsService).closeAccount({ tenant: 'default', storeCode: 'DEFAULT', customerId: closed });
    const refused = await engine.http().post('/api/DEFAULT/admin/p2p-points-transfer').set(auth).send({ transfer: { sender: b, receiver: closed, points: 5 } });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('account_closed');
    const sender = await engine.http().get(`/api/DEFAULT/customers/${b}/points`).set(auth).expect(200);
    expect(sender.body).toMatchObject({ active: 100, p2pOut: 0 });
    await engine.close();
  });
});
