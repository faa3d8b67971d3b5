import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ClientService, SCOPES } from '@app/auth';
import { ManualClock } from '@app/ledger';
import { startTestEngine, TestEngine } from '../support/engine';
import { outOfOrder, ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(120_000);

const HOUR = 60 * 60 * 1000;

function verifies(secret: string, received: ReceivedWebhook): boolean {
  try {
    new Webhook(secret).verify(received.body, received.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

async function engineWith(clock?: ManualClock): Promise<TestEngine> {
  return startTestEngine({ clock, env: { LOYALTY_WEBHOOK_TICK_MS: '20', LOYALTY_WEBHOOK_TIMEOUT_MS: '2000' } });
}

describe('webhooks: signed deliveries, in order per account, rotation, retries, replay', () => {
  // close to real time, so standardwebhooks' five-minute timestamp tolerance holds; the tests that move it come last
  const clock = new ManualClock(new Date());
  let engine: TestEngine;
  const receiver = new WebhookReceiver();
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });
  const add = (customer: string, points: number) => engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points } }).expect(200);
  const create = async (body: Record<string, unknown>) => (await engine.http().post('/api/webhooks').set(auth()).send(body).expect(201)).body;

  beforeAll(async () => {
    engine = await engineWith(clock);
    await receiver.start();
  });
  afterAll(async () => {
    await engine.close();
    await receiver.stop();
  });
  afterEach(async () => {
    for (const endpoint of (await engine.http().get('/api/webhooks').set(auth()).expect(200)).body.data) {
      await engine.http().delete(`/api/webhooks/${endpoint.id}`).set(auth()).expect(204);
    }
    receiver.received.length = 0;
    receiver.answer = () => ({ status: 200 });
  });

  it('manages endpoints: the secret is shown once, bad input is refused with the field, another tenant sees none', async () => {
    const created = await create({ url: receiver.url, eventTypes: ['points.added'], stores: ['DEFAULT'], description: 'mailer' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(created).toMatchObject({ url: receiver.url, eventTypes: ['points.added'], stores: ['DEFAULT'], description: 'mailer', state: 'active' });
    const shown = await engine.http().get(`/api/webhooks/${created.id}`).set(auth()).expect(200);
    expect(shown.body.secret).toBeUndefined();
    expect(JSON.stringify((await engine.http().get('/api/webhooks').set(auth()).expect(200)).body)).not.toContain(created.secret);

    const patched = await engine.http().patch(`/api/webhooks/${created.id}`).set(auth()).send({ eventTypes: ['points.spent'], description: 'crm' }).expect(200);
    expect(patched.body).toMatchObject({ eventTypes: ['points.spent'], description: 'crm', url: receiver.url });

    for (const [body, field] of [
      [{ url: 'not a url' }, 'url'],
      [{ url: 'ftp://example.com/x' }, 'url'],
      [{ url: receiver.url, eventTypes: ['points.stolen'] }, 'eventTypes'],
      [{ url: receiver.url, eventTypes: 'points.added' }, 'eventTypes'],
      [{}, 'url'],
    ] as const) {
      const refused = await engine.http().post('/api/webhooks').set(auth()).send(body);
      expect([body, refused.status]).toEqual([body, 400]);
      expect(JSON.stringify(refused.body)).toContain(field);
    }
    expect((await engine.http().patch(`/api/webhooks/${created.id}`).set(auth()).send({ url: 'nope' })).status).toBe(400);
    expect((await engine.http().get('/api/webhooks').set(auth()).expect(200)).body.data).toHaveLength(1);

    const clients = engine.app.get(ClientService);
    await clients.createTenant('other');
    const stranger = await clients.createClient('other', [...SCOPES]);
    const token = (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: stranger.clientId, client_secret: stranger.clientSecret }).expect(200)).body.access_token;
    expect((await engine.http().get('/api/webhooks').set('Authorization', `Bearer ${token}`).expect(200)).body.data).toEqual([]);
    await engine.http().get(`/api/webhooks/${created.id}`).set('Authorization', `Bearer ${token}`).expect(404);
    // the stranger's own endpoint never hears of this tenant's events
    const strangers = new WebhookReceiver();
    await strangers.start();
    await engine.http().post('/api/webhooks').set('Authorization', `Bearer ${token}`).send({ url: strangers.url }).expect(201);
    await add(randomUUID(), 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(strangers.received).toEqual([]);
    await strangers.stop();

    await engine.http().delete(`/api/webhooks/${created.id}`).set(auth()).expect(204);
    await engine.http().get(`/api/webhooks/${created.id}`).set(auth()).expect(404);
  });

  it('every delivery verifies with standardwebhooks; each account arrives in order; the log records each attempt', async () => {
    const endpoint = await create({ url: receiver.url });
    const customers = Array.from({ length: 4 }, () => randomUUID());
    await Promise.all(customers.map(async (customer) => {
      for (let i = 1; i <= 5; i++) await add(customer, i);
    }));
    // each customer: account.opened + 5 points.added
    await receiver.waitUntil((r) => r.length >= 24);
    expect(receiver.received.every((r) => verifies(endpoint.secret, r))).toBe(true);
    expect(verifies(`whsec_${Buffer.from('another secret entirely!').toString('base64')}`, receiver.received[0])).toBe(false);
    expect(outOfOrder(receiver.received)).toEqual([]);
    for (const customer of customers) {
      const mine = receiver.received.filter((r) => r.event.customerId === customer);
      expect(mine.map((r) => r.event.type)).toEqual(['account.opened', ...Array(5).fill('points.added')]);
      expect(mine.map((r) => r.event.data.points).slice(1)).toEqual([1, 2, 3, 4, 5]);
    }
    const headers = receiver.received[0].headers;
    expect(headers['webhook-id']).toBe(`msg_${receiver.received[0].event.id}`);
    expect(Number(headers['webhook-timestamp'])).toBe(Math.floor(clock.now().getTime() / 1000));

    const log = await engine.http().get(`/api/webhooks/${endpoint.id}/deliveries`).set(auth()).expect(200);
    expect(log.body.data).toHaveLength(24);
    expect(log.body.data[0]).toMatchObject({ attempt: 1, status: 200, outcome: 'delivered', responseExcerpt: 'ok', latencyMs: expect.any(Number) });
    await engine.http().get(`/api/webhooks/${endpoint.id}/deliveries?limit=0`).set(auth()).expect(400);
  });

  it('a later event of an account waits for the earlier one; other accounts go on meanwhile', async () => {
    await create({ url: receiver.url, eventTypes: ['points.added'] });
    const slow = randomUUID();
    const other = randomUUID();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    receiver.answer = async (r) => {
      if (r.event.customerId === slow && r.event.data.points === 1) await held;
      return { status: 200 };
    };
    await add(slow, 1);
    await add(slow, 2);
    await add(other, 7);
    await receiver.waitUntil((r) => r.some((x) => x.event.customerId === other));
    // the slow account's second event has not gone while its first is unanswered
    expect(receiver.received.filter((r) => r.event.customerId === slow).map((r) => r.event.data.points)).toEqual([1]);
    release();
    await receiver.waitUntil((r) => r.filter((x) => x.event.customerId === slow).length === 2);
    expect(receiver.received.filter((r) => r.event.customerId === slow).map((r) => r.event.data.points)).toEqual([1, 2]);
  });

  it('test sends a signed webhook.test at once; replay sends history again from a cursor or an instant', async () => {
    const customer = randomUUID();
    await add(customer, 1);
    // `since` is compared with when the event store recorded each event
    await new Promise((r) => setTimeout(r, 20));
    const from = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await add(customer, 2);
    await add(customer, 3);
    const endpoint = await create({ url: receiver.url, eventTypes: ['points.added'] });

    const test = await engine.http().post(`/api/webhooks/${endpoint.id}/test`).set(auth()).expect(200);
    expect(test.body).toMatchObject({ status: 200, outcome: 'test', eventType: 'webhook.test' });
    expect(receiver.received).toHaveLength(1);
    expect(verifies(endpoint.secret, receiver.received[0])).toBe(true);
    expect(receiver.received[0].event.type).toBe('webhook.test');

    // created after them, the endpoint got none of the three; replaying since `from` sends the last two
    await engine.http().post(`/api/webhooks/${endpoint.id}/replay`).set(auth()).send({ since: from }).expect(202);
    await receiver.waitUntil((r) => r.length === 3);
    expect(receiver.received.slice(1).map((r) => r.event.data.points)).toEqual([2, 3]);

    const polled = (await engine.http().get('/api/events').query({ types: 'points.added', limit: '500' }).set(auth()).expect(200)).body.data;
    const first = polled.find((event: { customerId: string }) => event.customerId === customer);
    const before = polled[polled.indexOf(first) - 1]?.cursor ?? 'c1.LTE';
    await engine.http().post(`/api/webhooks/${endpoint.id}/replay`).set(auth()).send({ after: before }).expect(202);
    await receiver.waitUntil((r) => r.filter((x) => x.event.customerId === customer).length === 5);
    expect(receiver.received.slice(3).filter((r) => r.event.customerId === customer).map((r) => r.event.data.points)).toEqual([1, 2, 3]);

    for (const body of [{}, { after: 'x' }, { since: 'yesterday' }, { after: before, since: from }]) {
      expect((await engine.http().post(`/api/webhooks/${endpoint.id}/replay`).set(auth()).send(body)).status).toBe(400);
    }
  });

  it('during a rotation both secrets verify every delivery; 24 hours later only the new one signs', async () => {
    const endpoint = await create({ url: receiver.url, eventTypes: ['points.added'] });
    const rotated = await engine.http().post(`/api/webhooks/${endpoint.id}/rotate-secret`).set(auth()).expect(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    const customer = randomUUID();
    await add(customer, 4);
    await receiver.waitUntil((r) => r.some((x) => x.event.customerId === customer));
    const during = receiver.received.find((x) => x.event.customerId === customer) as ReceivedWebhook;
    expect(verifies(endpoint.secret, during)).toBe(true);
    expect(verifies(rotated.body.secret, during)).toBe(true);
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);

    clock.advance(24 * HOUR + 1_000);
    await engine.refreshToken();
    const later = randomUUID();
    await add(later, 5);
    await receiver.waitUntil((r) => r.some((x) => x.event.customerId === later));
    const late = receiver.received.find((x) => x.event.customerId === later) as ReceivedWebhook;
    const signatures = String(late.headers['webhook-signature']).split(' ');
    const signedAt = new Date(Number(late.headers['webhook-timestamp']) * 1000);
    // the clock moved a day, so the package's freshness check would refuse it: compare the signatures themselves
    expect(signatures).toEqual([new Webhook(rotated.body.secret).sign(String(late.headers['webhook-id']), signedAt, late.body)]);
  });
  it('retries a failed delivery with the same webhook-id and honours Retry-After on 429', async () => {
    const endpoint = await create({ url: receiver.url, eventTypes: ['points.added'] });
    const customer = randomUUID();
    let calls = 0;
    receiver.answer = () => (++calls === 1 ? { status: 500, body: 'boom' } : calls === 2 ? { status: 429, headers: { 'retry-after': '3600' } } : { status: 200 });
    await add(customer, 5);
    await receiver.waitUntil((r) => r.length === 1);
    // the first retry is due 2.5-5 s later on the engine clock
    clock.advance(5_000);
    await receiver.waitUntil((r) => r.length === 2);
    // 429 asked for an hour: moving 59 minutes sends nothing
    clock.advance(59 * 60 * 1000);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(2);
    clock.advance(60 * 1000);
    await engine.refreshToken();
    await receiver.waitUntil((r) => r.length === 3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const log = (await engine.http().get(`/api/webhooks/${endpoint.id}/deliveries`).set(auth()).expect(200)).body.data;
    expect(log.map((entry: { status: number; outcome: string; attempt: number }) => [entry.attempt, entry.status, entry.outcome])).toEqual([
      [3, 200, 'delivered'],
      [2, 429, 'retrying'],
      [1, 500, 'retrying'],
    ]);
    expect(log[2].responseExcerpt).toBe('boom');
  });

  it('a 410 disables the endpoint and says so with an endpoint.disabled event; resume carries on', async () => {
    const watcher = new WebhookReceiver();
    await watcher.start();
    await create({ url: watcher.url, eventTypes: ['endpoint.disabled'] });
    const endpoint = await create({ url: receiver.url, eventTypes: ['points.added'] });
    receiver.answer = () => ({ status: 410 });
    const customer = randomUUID();
    await add(customer, 1);
    await watcher.waitUntil((r) => r.length === 1);
    expect(watcher.received[0].event).toMatchObject({ type: 'endpoint.disabled', data: { endpointId: endpoint.id } });
    expect((await engine.http().get(`/api/webhooks/${endpoint.id}`).set(auth()).expect(200)).body).toMatchObject({ state: 'disabled' });
    await add(customer, 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);

    receiver.answer = () => ({ status: 200 });
    await engine.http().post(`/api/webhooks/${endpoint.id}/resume`).set(auth()).expect(200);
    await receiver.waitUntil((r) => r.length === 3);
    expect(receiver.received.map((r) => r.event.data.points)).toEqual([1, 1, 2]);
    await watcher.stop();
  });

});

describe('webhooks: an endpoint down for a day is paused, resumed, and then gets everything in order', () => {
  const clock = new ManualClock('2026-03-01T00:00:00.000Z');
  let engine: TestEngine;
  const healthy = new WebhookReceiver();
  const down = new WebhookReceiver();
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });
  const add = (customer: string, points: number) => engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points } }).expect(200);

  beforeAll(async () => {
    engine = await engineWith(clock);
    await healthy.start();
    await down.start();
    await down.stop();
  });
  afterAll(async () => {
    await engine.close();
    await healthy.stop();
    await down.stop();
  });

  it('pauses the refusing endpoint after a day (endpoint.paused), keeps serving the healthy one, and resume loses nothing', async () => {
    await engine.http().post('/api/webhooks').set(auth()).send({ url: healthy.url }).expect(201);
    const broken = (await engine.http().post('/api/webhooks').set(auth()).send({ url: down.url, eventTypes: ['points.added', 'account.opened'] }).expect(201)).body;
    const customers = [randomUUID(), randomUUID(), randomUUID()];
    let sent = 0;
    // events keep coming through the whole day the endpoint is down
    for (let hour = 0; hour <= 26; hour++) {
      await add(customers[hour % 3], 1 + hour);
      sent++;
      await engine.refreshToken();
      clock.advance(HOUR);
      await new Promise((r) => setTimeout(r, 60));
    }
    await healthy.waitUntil((r) => r.filter((x) => x.event.type === 'points.added').length === sent, 20_000, 'every add at the healthy endpoint');
    await healthy.waitUntil((r) => r.some((x) => x.event.type === 'endpoint.paused'), 20_000, 'endpoint.paused');
    expect(healthy.received.find((x) => x.event.type === 'endpoint.paused')?.event.data).toMatchObject({ endpointId: broken.id, url: down.url });
    expect(outOfOrder(healthy.received)).toEqual([]);
    const paused = (await engine.http().get(`/api/webhooks/${broken.id}`).set(auth()).expect(200)).body;
    expect(paused).toMatchObject({ state: 'paused', stoppedReason: expect.stringContaining('no delivery succeeded') });
    const log = (await engine.http().get(`/api/webhooks/${broken.id}/deliveries?limit=500`).set(auth()).expect(200)).body.data;
    expect(log[0]).toMatchObject({ outcome: 'paused', error: 'ECONNREFUSED' });
    expect(log.every((entry: { status?: number }) => entry.status === undefined)).toBe(true);

    // paused: no more attempts, however long
    const attempts = log.length;
    clock.advance(6 * HOUR);
    await engine.refreshToken();
    await new Promise((r) => setTimeout(r, 300));
    expect((await engine.http().get(`/api/webhooks/${broken.id}/deliveries?limit=500`).set(auth()).expect(200)).body.data).toHaveLength(attempts);

    await down.start();
    await engine.http().post(`/api/webhooks/${broken.id}/resume`).set(auth()).expect(200);
    await add(customers[0], 1000);
    sent++;
    await down.waitUntil((r) => new Set(r.filter((x) => x.event.type === 'points.added').map((x) => x.event.id)).size === sent, 20_000, 'every add at the resumed endpoint');
    const adds = down.firstArrivals().filter((x) => x.event.type === 'points.added');
    expect(adds).toHaveLength(sent);
    expect(outOfOrder(down.received)).toEqual([]);
    for (const customer of customers) {
      const points = adds.filter((x) => x.event.customerId === customer).map((x) => x.event.data.points as number);
      expect(points).toEqual([...points].sort((a, b) => (a === 1000 ? 1 : b === 1000 ? -1 : a - b)));
    }
    expect((await engine.http().get(`/api/webhooks/${broken.id}`).set(auth()).expect(200)).body.state).toBe('active');
  });
});
