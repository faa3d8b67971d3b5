import { randomUUID } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ClientService, SCOPES } from '@app/auth';
import { PUBLIC_EVENT_TYPES } from '@app/engine';
import { pointsAccountStream } from '@app/ledger';
import { openSse, SseConnection } from '../support/sse-client';
import { startTestEngine, TestEngine } from '../support/engine';

jest.setTimeout(120_000);

interface PolledEvent {
  id: string;
  type: string;
  cursor: string;
  position: number;
  customerId?: string;
  storeCode: string;
  tenant: string;
  accountVersion?: number;
  balance?: { available: number; active: number; pending: number; blocked: number };
  data: Record<string, unknown>;
}

describe('public events: catalogue, polling and SSE over one cursor', () => {
  let engine: TestEngine;
  let baseUrl: string;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });
  const add = (customer: string, points: number | string) =>
    engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points } }).expect(200);

  const pollAll = async (query: Record<string, string> = {}, token = engine.token): Promise<PolledEvent[]> => {
    const events: PolledEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const response = await engine
        .http()
        .get('/api/events')
        .query({ ...query, ...(after ? { after } : {}) })
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      events.push(...response.body.data);
      after = response.body.cursor;
      if (!response.body.more) return events;
    }
  };

  beforeAll(async () => {
    engine = await startTestEngine({ env: { LOYALTY_SSE_SLOW_READER_MS: '300', LOYALTY_SSE_HEARTBEAT_MS: '200' } });
    await engine.app.listen(0, '127.0.0.1');
    baseUrl = await engine.app.getUrl();
    baseUrl = baseUrl.replace('[::1]', '127.0.0.1');
  });
  afterAll(() => engine.close());

  it('maps every kind of points change to its public type, with the balance and account version after it, as exact decimals', async () => {
    const alice = randomUUID();
    const bob = randomUUID();
    await engine.http().post('/api/DEFAULT/customers').set(auth()).send({ customerId: alice, email: `${alice}@example.com` }).expect(201);
    await add(alice, 10.5);
    await engine.http().post('/api/DEFAULT/points/transfer/spend').set(auth()).send({ transfer: { customer: alice, points: 0.25 } }).expect(200);
    const block = await engine.http().post('/api/DEFAULT/points/transfer/block').set(auth()).send({ transfer: { customer: alice, points: 1 } }).expect(200);
    await engine.http().post(`/api/DEFAULT/points/transfer/${block.body.pointsTransferId}/cancel`).set(auth()).send({}).expect(200);
    await engine.http().post('/api/DEFAULT/admin/p2p-points-transfer').set(auth()).send({ transfer: { sender: alice, receiver: bob, points: 2 } }).expect((r) => expect([200, 201]).toContain(r.status));

    const events = (await pollAll()).filter((event) => event.customerId === alice || event.customerId === bob);
    const aliceEvents = events.filter((event) => event.customerId === alice);
    expect(aliceEvents.map((event) => event.type)).toEqual([
      'customer.registered',
      'account.opened',
      'points.added',
      'points.spent',
      'points.blocked',
      'points.unblocked',
      'points.transferred',
    ]);
    const added = aliceEvents.find((event) => event.type === 'points.added') as PolledEvent;
    expect(added.data.points).toBe(10.5);
    expect(added.balance).toEqual({ available: 10.5, active: 10.5, pending: 0, blocked: 0 });
    const spent = aliceEvents.find((event) => event.type === 'points.spent') as PolledEvent;
    expect(spent.balance?.available).toBe(10.25);
    expect(spent.accountVersion).toBe((added.accountVersion as number) + 1);
    const blocked = aliceEvents.find((event) => event.type === 'points.blocked') as PolledEvent;
    expect(blocked.balance).toMatchObject({ available: 9.25, blocked: 1 });
    const sent = aliceEvents[aliceEvents.length - 1];
    expect(sent.data).toMatchObject({ direction: 'sent', counterpartCustomerId: bob, points: 2 });
    expect(sent.balance?.available).toBe(8.25);
    const received = events.find((event) => event.customerId === bob && event.type === 'points.transferred') as PolledEvent;
    expect(received.data).toMatchObject({ direction: 'received', counterpartCustomerId: alice });
    expect(received.balance?.available).toBe(2);

    // the balance is the fold of the account: it agrees with the API's summary
    const summary = await engine.http().get(`/api/DEFAULT/customers/${alice}/points`).set(auth()).expect(200);
    expect(summary.body).toMatchObject({ active: sent.balance?.available, blocked: sent.balance?.blocked, pending: sent.balance?.pending });
  });

  it('serves a JSON Schema per type and version, and every polled event validates against its own', async () => {
    const response = await engine.http().get('/api/events/schemas').set(auth()).expect(200);
    const schemas = response.body.data as Array<{ type: string; schemaVersion: number; schema: object }>;
    expect(schemas.map((entry) => entry.type).sort()).toEqual([...PUBLIC_EVENT_TYPES].sort());
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const validators = new Map(schemas.map((entry) => [entry.type, ajv.compile(entry.schema)]));
    const events = await pollAll();
    expect(events.length).toBeGreaterThan(5);
    for (const event of events) {
      const validate = validators.get(event.type);
      expect([event.type, validate?.(event), validate?.errors ?? null]).toEqual([event.type, true, null]);
    }
  });

  it('pages with an opaque cursor: small pages give the same events as one big page; types and store filter', async () => {
    const all = await pollAll({ limit: '500' });
    const small = await pollAll({ limit: '2' });
    expect(small.map((event) => event.id)).toEqual(all.map((event) => event.id));
    expect(all.map((event) => event.position)).toEqual([...all.map((event) => event.position)].sort((a, b) => a - b));
    expect(all[0].cursor).not.toMatch(/^\d+$/);

    const onlyAdds = await pollAll({ types: 'points.added,points.spent' });
    expect(new Set(onlyAdds.map((event) => event.type))).toEqual(new Set(['points.added', 'points.spent']));
    expect(await pollAll({ store: 'NO_SUCH_STORE' })).toEqual([]);
    expect((await pollAll({ store: 'DEFAULT' })).length).toBe(all.length);

    // resuming after a cursor gives exactly what follows it
    const middle = all[Math.floor(all.length / 2)];
    const rest = await engine.http().get('/api/events').query({ after: middle.cursor, limit: '500' }).set(auth()).expect(200);
    expect(rest.body.data.map((event: PolledEvent) => event.id)).toEqual(all.slice(all.indexOf(middle) + 1).map((event) => event.id));
  });

  it('refuses a cursor it did not give out, unknown types and a bad limit with 400 and the field', async () => {
    for (const [query, field] of [
      [{ after: '12' }, 'after'],
      [{ after: 'c1.bm90LWEtbnVtYmVy' }, 'after'],
      [{ types: 'points.added,points.stolen' }, 'types'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '501' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
    ] as const) {
      const response = await engine.http().get('/api/events').query(query).set(auth());
      expect([query, response.status]).toEqual([query, 400]);
      expect(JSON.stringify(response.body)).toContain(field);
    }
    const stream = await engine.http().get('/api/events/stream').set(auth()).set('Last-Event-ID', 'garbage');
    expect(stream.status).toBe(400);
  });

  it("another tenant's client sees none of these events, by polling or by stream", async () => {
    const clients = engine.app.get(ClientService);
    await clients.createTenant('elsewhere');
    await clients.addStore('elsewhere', 'DEFAULT', 'EUR');
    const stranger = await clients.createClient('elsewhere', [...SCOPES]);
    const token = (
      await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: stranger.clientId, client_secret: stranger.clientSecret }).expect(200)
    ).body.access_token as string;
    expect(await pollAll({}, token)).toEqual([]);
    const sse = await openSse(`${baseUrl}/api/events/stream`, { authorization: `Bearer ${token}` });
    await add(randomUUID(), 1);
    // heartbeats arrive every 200 ms: after a few, no event of the other tenant came through
    await new Promise((r) => setTimeout(r, 700));
    sse.close();
    expect(sse.comments.filter((comment) => comment === 'heartbeat').length).toBeGreaterThan(0);
    expect(sse.messages).toEqual([]);
  });

  it('an SSE client cut off 50 times at random points and resumed with Last-Event-ID sees every event once, in order', async () => {
    const customers = Array.from({ length: 5 }, () => randomUUID());
    const before = await pollAll();
    const start = before[before.length - 1].cursor;
    const total = 150;
    const writer = (async () => {
      for (let i = 0; i < total; i++) await add(customers[i % customers.length], 1 + (i % 7));
    })();

    const seen: PolledEvent[] = [];
    let lastId = start;
    for (let cut = 0; cut < 50; cut++) {
      const sse: SseConnection = await openSse(`${baseUrl}/api/events/stream?types=points.added`, { authorization: `Bearer ${engine.token}`, 'last-event-id': lastId });
      // cut after a random number of messages, or mid-stream after a random pause
      const want = 1 + Math.floor(Math.random() * 4);
      await Promise.race([sse.waitFor(want, 10_000).catch(() => undefined), new Promise((r) => setTimeout(r, Math.random() * 40))]);
      sse.close();
      await sse.closed;
      for (const message of sse.messages) {
        seen.push(JSON.parse(message.data));
        lastId = message.id as string;
      }
    }
    await writer;
    // then stay until the rest is in
    const sse = await openSse(`${baseUrl}/api/events/stream?types=points.added`, { authorization: `Bearer ${engine.token}`, 'last-event-id': lastId });
    const expected = (await pollAll({ after: start, types: 'points.added' })).length;
    await sse.waitFor(expected - seen.length);
    sse.close();
    seen.push(...sse.messages.map((message) => JSON.parse(message.data)));

    const polled = await pollAll({ after: start, types: 'points.added' });
    expect(polled.length).toBe(total);
    expect(seen.map((event) => event.id)).toEqual(polled.map((event) => event.id));
  });

  it('drops a reader that stopped reading instead of buffering for it; it resumes from its cursor', async () => {
    const before = await pollAll();
    const start = before[before.length - 1].cursor;
    const sse = await openSse(`${baseUrl}/api/events/stream`, { authorization: `Bearer ${engine.token}`, 'last-event-id': start });
    sse.pause();
    // far more than the socket buffers hold: stored straight into the event store to be quick
    const customer = randomUUID();
    const stream = pointsAccountStream({ tenant: 'default', storeCode: 'DEFAULT', customerId: customer });
    const metadata = { tenant: 'default', storeCode: 'DEFAULT', correlationId: 'bulk', causationId: 'bulk', issuer: 'system', actor: 'test', schemaVersion: 1 };
    const createdAt = '2026-01-01T00:00:00.000Z';
    await engine.infrastructure.eventStore.appendToStream(stream, [
      { id: randomUUID(), type: 'AccountOpened', data: { accountId: customer, tenant: 'default', storeCode: 'DEFAULT', customerId: customer, openedAt: createdAt }, metadata },
    ]);
    const count = 6_000;
    for (let batch = 0; batch < count / 1000; batch++) {
      await engine.infrastructure.eventStore.appendToStream(
        stream,
        Array.from({ length: 1000 }, (_, i) => ({
          id: randomUUID(),
          type: 'PointsAdded',
          data: { transferId: randomUUID(), type: 'adding', points: 100, state: 'active', createdAt, comment: `bulk ${batch * 1000 + i} ${'x'.repeat(2_000)}` },
          metadata,
        })),
      );
    }
    // well past the 300 ms a reader may stay behind: the server has given up on it by now
    await new Promise((r) => setTimeout(r, 2_000));
    sse.resume();
    await expect(Promise.race([sse.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 15_000))])).resolves.toBe('closed');
    // it got what the socket buffers held, then the end: nothing more was kept for it
    expect(sse.messages.length).toBeLessThan(count);

    // resuming from the start cursor, a reading client gets all of them
    const again = await openSse(`${baseUrl}/api/events/stream?types=points.added`, { authorization: `Bearer ${engine.token}`, 'last-event-id': start });
    await again.waitFor(count, 60_000);
    again.close();
    expect(again.messages.length).toBe(count);
    expect(new Set(again.messages.map((message) => message.id)).size).toBe(count);
  });
});
