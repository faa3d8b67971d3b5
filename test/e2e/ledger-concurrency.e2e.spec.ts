import { randomUUID } from 'node:crypto';
import { startTestEngine, TestEngine } from '../support/engine';

/** Money-like safety under load, over real HTTP against the embedded profile. */
describe('ledger under concurrent requests', () => {
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });

  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(() => engine.close());

  it('100 concurrent spends of 10 on 500 points: exactly 50 succeed, 50 get a clear 422, nothing is overdrawn', async () => {
    const customer = randomUUID();
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 500 } }).expect(200);

    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        engine.http().post('/api/DEFAULT/points/transfer/spend').set(auth()).type('form').send(`transfer[customer]=${customer}&transfer[points]=10`),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 422)).toHaveLength(50);
    for (const refused of responses.filter((r) => r.status === 422)) {
      expect(refused.body).toMatchObject({ statusCode: 422, code: 'insufficient_points' });
    }

    const summary = await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(auth()).expect(200);
    expect(summary.body).toMatchObject({ active: 0, spent: 500, earned: 500 });
  });

  it('50 concurrent identical requests with one idempotency key give one transfer', async () => {
    const customer = randomUUID();
    const key = `order-${randomUUID()}`;
    const before = await engine.infrastructure.eventStore.headPosition();

    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).set('Idempotency-Key', key).send({ transfer: { customer, points: '12.34' } }),
      ),
    );
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([200]));
    const ids = new Set(responses.map((r) => r.body.pointsTransferId));
    expect(ids.size).toBe(1);

    const added = (await engine.infrastructure.eventStore.readAll({ after: before })).filter((e) => e.type === 'PointsAdded');
    expect(added).toHaveLength(1);
    expect((added[0].data as { transferId: string }).transferId).toBe([...ids][0]);
    const summary = await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(auth()).expect(200);
    expect(summary.body.active).toBe(12.34);
  });

  it('the same key with another body is refused with 409 and changes nothing', async () => {
    const customer = randomUUID();
    const key = `refund-${randomUUID()}`;
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).set('Idempotency-Key', key).send({ transfer: { customer, points: 5 } }).expect(200);
    const head = await engine.infrastructure.eventStore.headPosition();

    const reused = await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).set('Idempotency-Key', key).send({ transfer: { customer, points: 6 } });
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ statusCode: 409, code: 'idempotency_key_reused' });
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);
  });

  it('a refused keyed request is answered the same way again, even after points arrived meanwhile', async () => {
    const customer = randomUUID();
    const key = `spend-${randomUUID()}`;
    const spend = () => engine.http().post('/api/DEFAULT/points/transfer/spend').set(auth()).set('Idempotency-Key', key).send({ transfer: { customer, points: 3 } });
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 1 } }).expect(200);

    const first = await spend();
    expect(first.status).toBe(422);
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 10 } }).expect(200);
    const again = await spend();
    expect(again.status).toBe(422);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const summary = await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(auth()).expect(200);
    expect(summary.body.active).toBe(11);
  });
  it('stored events name the caller: issuer api, the client as actor, the request\'s correlation id; keyed replays say so', async () => {
    const customer = randomUUID();
    const before = await engine.infrastructure.eventStore.headPosition();
    const correlationId = `corr-${randomUUID()}`;
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).set('X-Correlation-Id', correlationId).send({ transfer: { customer, points: 3 } }).expect(200);
    const key = `k-${randomUUID()}`;
    const first = await engine.http().post('/api/DEFAULT/points/transfer/spend').set(auth()).set('Idempotency-Key', key).send({ transfer: { customer, points: 1 } }).expect(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await engine.http().post('/api/DEFAULT/points/transfer/spend').set(auth()).set('Idempotency-Key', key).send({ transfer: { customer, points: 1 } }).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);

    const events = (await engine.infrastructure.eventStore.readAll({ after: before })).filter((e) => e.streamId.startsWith('pointsAccount-'));
    expect(events.map((e) => e.type)).toEqual(['AccountOpened', 'PointsAdded', 'PointsSpent']);
    for (const event of events.slice(0, 2)) expect(event.metadata).toMatchObject({ issuer: 'api', actor: 'e2e-client', correlationId, causationId: correlationId });
    expect(events[2].metadata).toMatchObject({ issuer: 'api', actor: 'e2e-client', idempotencyKey: key });
  });

  it('an Idempotency-Key longer than 255 characters is a 400 naming the header', async () => {
    const response = await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).set('Idempotency-Key', 'k'.repeat(256)).send({ transfer: { customer: randomUUID(), points: 1 } }).expect(400);
    expect(response.body.errors).toEqual([{ field: 'Idempotency-Key', message: 'must be at most 255 characters' }]);
  });
});
