import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Ajv, { ValidateFunction } from 'ajv';
import { load } from 'js-yaml';
import { SMTPServer } from 'smtp-server';
import { ClientService, SCOPES } from '@app/auth';
import { CustomerRegistry, PointsQueries } from '@app/engine';
import { customerNotificationStream, ManualClock, pointsAccountDecider, pointsAccountStream } from '@app/ledger';
import { startTestEngine, TestEngine } from '../support/engine';

const ROUTE = '/admin/v2/customers/loyalty/points';
const STORE = { tenant: 'default', storeCode: 'DEFAULT' };

/** Salla's own OpenAPI document (copied from the seed): every answer of ours must fit its response schema. */
function sallaResponseValidators(): Record<'201' | '400' | '401' | '422', ValidateFunction> {
  const document = load(readFileSync(join(__dirname, '..', 'fixtures', 'salla-loyalty-points.openapi.yaml'), 'utf8')) as {
    paths: Record<string, { post: { responses: Record<string, { content: Record<string, { schema: object }> }> } }>;
    components: object;
  };
  // the document's vendor keywords (x-apidog-*) are not JSON Schema: ignored, not refused
  const ajv = new Ajv({ strict: false, allErrors: true });
  const responses = document.paths['/customers/loyalty/points'].post.responses;
  const compile = (status: string) => ajv.compile({ ...responses[status].content['application/json'].schema, components: document.components });
  return { '201': compile('201'), '400': compile('400'), '401': compile('401'), '422': compile('422') };
}

interface Mail {
  to: string;
  subject: string;
  raw: string;
}

/** A real SMTP server on loopback that keeps what arrives. */
async function startSmtp(): Promise<{ server: SMTPServer; url: string; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, session, callback) {
      // a mailbox that does not exist: refused for good
      if (address.address.endsWith('@refused.example')) return callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const subject = /^Subject: (.*)$/m.exec(raw)?.[1] ?? '';
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), subject, raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return { server, url: `smtp://127.0.0.1:${port}`, mails };
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Salla: POST /admin/v2/customers/loyalty/points', () => {
  const clock = new ManualClock('2026-06-01T12:00:00.000Z');
  const schemas = sallaResponseValidators();
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });
  const post = (body: unknown, headers: Record<string, string> = {}) => engine.http().post(ROUTE).set({ ...auth(), ...headers }).send(body as object);
  const fits = (status: '201' | '400' | '401' | '422', body: unknown) => {
    const validate = schemas[status];
    expect({ valid: validate(body), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  };
  const balance = async (customerId: string | number) => {
    const history = await engine.infrastructure.eventStore.readStream(pointsAccountStream({ ...STORE, customerId: String(customerId) }));
    return history.map((e) => ({ type: e.type, data: e.data }) as never).reduce(pointsAccountDecider.evolve, pointsAccountDecider.initialState());
  };
  const available = async (customerId: string | number) => {
    const state = await balance(customerId);
    return state.status === 'open' ? state.balance.available : undefined;
  };
  const start = () => startTestEngine({ clock, env: { LOYALTY_SMTP_URL: smtp.url, LOYALTY_MAIL_FROM: 'points@shop.example' }, dataDir: engine?.dataDir });

  beforeAll(async () => {
    smtp = await startSmtp();
    engine = await start();
  });
  afterAll(async () => {
    await engine.close();
    await new Promise<void>((resolve) => smtp.server.close(() => resolve()));
  });

  it('adds points to each listed customer and answers 201 in Salla\'s shape, in Arabic by default and in English on request', async () => {
    const response = await post({ points: 900, type: 'plus', reason: 'Valid reason text', channel_send: [], customers: [748394059, 873874834] }).expect(201);
    fits('201', response.body);
    expect(response.body).toEqual({
      status: 201,
      success: true,
      data: { code: 201, message: 'تم تحديث نقاط الولاء للعملاء بنجاح', updated_customers: 2, failed_customers: [] },
    });
    expect(await available(748394059)).toBe(900_00);
    expect(await available(873874834)).toBe(900_00);
    const english = await post({ points: 1.5, type: 'plus', reason: 'one and a half', channel_send: [], customers: [748394059] }, { 'Accept-Language': 'en-US,en;q=0.9' }).expect(201);
    fits('201', english.body);
    expect(english.body.data.message).toBe("The customers' loyalty points were updated successfully");
    expect(await available(748394059)).toBe(901_50);
  });

  it('deducts all or nothing per customer: one without enough points is left unchanged and listed, the others change', async () => {
    await post({ points: 10, type: 'plus', reason: 'seed', channel_send: [], customers: [5001, 5002] }).expect(201);
    const response = await post({ points: 15, type: 'minus', reason: 'correction', channel_send: [], customers: [5001, 5003, 748394059] }).expect(201);
    fits('201', response.body);
    expect(response.body.data.updated_customers).toBe(1);
    expect(response.body.data.failed_customers).toEqual([
      { id: 5001, code: 'insufficient_points', message: 'رصيد نقاط العميل غير كافٍ للخصم' },
      { id: 5003, code: 'account_not_found', message: 'لا يوجد رصيد نقاط لهذا العميل' },
    ]);
    expect([await available(5001), await available(5002), await available(5003), await available(748394059)]).toEqual([10_00, 10_00, undefined, 886_50]);
  });

  it('reset_points empties the account; with points the balance becomes exactly points, in one ledger change', async () => {
    await post({ points: 70, type: 'plus', reason: 'seed', channel_send: [], customers: [6001, 6002] }).expect(201);
    await post({ points: 20, type: 'minus', reason: 'spent', channel_send: [], customers: [6001] }).expect(201);
    const head = await engine.infrastructure.eventStore.headPosition();
    const reset = await post({ reset_points: true, points: 300, type: 'plus', reason: 'new season', channel_send: [], customers: [6001] }).expect(201);
    fits('201', reset.body);
    const state = await balance(6001);
    expect(state.status === 'open' && state.balance).toMatchObject({ available: 300_00, spent: 20_00, expired: 50_00 });
    // the expiry and the new lot were appended together: one append, consecutive revisions of one stream
    const appended = await engine.infrastructure.eventStore.readAll({ after: head });
    const account = appended.filter((e) => e.streamId === pointsAccountStream({ ...STORE, customerId: '6001' }));
    expect(account.map((e) => e.type)).toEqual(['PointsExpired', 'PointsAdded']);
    await post({ reset_points: true, type: 'plus', reason: 'wipe', channel_send: [], customers: [6002] }).expect(201);
    expect(await available(6002)).toBe(0);
  });

  it('bad fields: 422 alert.invalid_fields with each field\'s message, Arabic or English, and nothing changes', async () => {
    const head = await engine.infrastructure.eventStore.headPosition();
    const bad = await post({ points: 0, type: 'double', reason: '', channel_send: ['fax'], customers: ['abc'] }).expect(422);
    fits('422', bad.body);
    expect(bad.body).toMatchObject({ status: 422, success: false, error: { code: 'error', message: 'alert.invalid_fields' } });
    expect(bad.body.error.fields).toEqual({
      points: ['يجب أن تكون قيمة حقل points بين 1 و 999999'],
      type: ['حقل type يجب أن يكون plus أو minus'],
      reason: ['حقل reason مطلوب'],
      channel_send: ['حقل channel_send يقبل email و sms و mobile فقط'],
      customers: ['حقل customers غير صالح'],
    });
    const english = await post({ type: 'plus', reason: 'x', channel_send: [] }, { 'Accept-Language': 'en' }).expect(422);
    fits('422', english.body);
    expect(english.body.error.fields).toEqual({ points: ['The points field is required.'], customers: ['The customers field is required.'] });
    const minusReset = await post({ reset_points: true, points: 5, type: 'minus', reason: 'x', channel_send: [], customers: [6001] }).expect(422);
    fits('422', minusReset.body);
    expect(minusReset.body.error.fields).toEqual({ points: ['لا يمكن خصم points مع إعادة تعيين الرصيد'] });
    expect((await post({ points: 1.005, type: 'plus', reason: 'x', channel_send: [], customers: [1] }).expect(422)).body.error.fields).toHaveProperty('points');
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);
  });

  it('a body that is no request is a 400 in the document\'s shape', async () => {
    const response = await engine.http().post(ROUTE).set(auth()).set('Content-Type', 'application/json').send('{"points": 9');
    expect(response.status).toBe(400);
    fits('400', response.body);
    expect(response.body).toMatchObject({ status: 400, success: false, data: { message: 'حدث خطأ أثناء تحديث نقاط الولاء للعملاء' }, error: { message: 'حدث خطأ أثناء تحديث نقاط الولاء للعملاء' } });
    // JSON that is no object, and fields of the wrong kind: refused in Salla's shapes, never a 500
    for (const body of ['[1, 2]', '"points"', 'null', '{"points": "9", "type": "plus", "reason": "x", "channel_send": "email", "customers": 748394059}']) {
      const refused = await engine.http().post(ROUTE).set(auth()).set('Content-Type', 'application/json').send(body);
      expect([body, refused.status]).toEqual([body, expect.any(Number)]);
      expect([body, [400, 422].includes(refused.status)]).toEqual([body, true]);
      fits(String(refused.status) as '400' | '422', refused.body);
    }
  });

  it('401 without a token, and 401 naming customers.read_write for a token without points:write', async () => {
    const none = await engine.http().post(ROUTE).send({}).expect(401);
    fits('401', none.body);
    const clients = engine.app.get(ClientService);
    const reader = await clients.createClient('default', SCOPES.filter((scope) => scope !== 'points:write'), { defaultStore: 'DEFAULT' });
    const token = (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: reader.clientId, client_secret: reader.clientSecret }).expect(200)).body.access_token;
    const limited = await engine.http().post(ROUTE).set('Authorization', `Bearer ${token}`).send({ points: 1, type: 'plus', reason: 'x', channel_send: [], customers: [1] }).expect(401);
    fits('401', limited.body);
    expect(limited.body).toEqual({
      status: 401,
      success: false,
      error: { code: 'Unauthorized', message: "The access token should have access to one of those scopes: customers.read_write (this engine's scope points:write)" },
    });
  });

  it('the store is the client\'s default store: another client\'s default store gets the points', async () => {
    const clients = engine.app.get(ClientService);
    await clients.addStore('default', 'RIYADH', 'SAR');
    const riyadh = await clients.createClient('default', ['points:write'], { defaultStore: 'RIYADH' });
    const token = (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: riyadh.clientId, client_secret: riyadh.clientSecret }).expect(200)).body.access_token;
    await engine.http().post(ROUTE).set('Authorization', `Bearer ${token}`).send({ points: 3, type: 'plus', reason: 'x', channel_send: [], customers: [7001] }).expect(201);
    const summary = await engine.app.get(PointsQueries).summary({ tenant: 'default', storeCode: 'RIYADH', customerId: '7001' });
    expect(summary.available).toBe(3_00);
    expect(await available(7001)).toBeUndefined();
  });

  it('select_all: every registered customer and every account holder of the store, once each, and no other store\'s', async () => {
    const clients = engine.app.get(ClientService);
    await clients.addStore('default', 'JEDDAH', 'SAR');
    const jeddah = { tenant: 'default', storeCode: 'JEDDAH' };
    const registry = engine.app.get(CustomerRegistry);
    for (const id of ['101', '102', '103']) await registry.register(jeddah, id, {});
    const client = await clients.createClient('default', ['points:write'], { defaultStore: 'JEDDAH' });
    const token = (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).expect(200)).body.access_token;
    const call = (body: object) => engine.http().post(ROUTE).set('Authorization', `Bearer ${token}`).send(body);
    // 102 and 104 hold points; 104 is not registered
    await call({ points: 5, type: 'plus', reason: 'seed', channel_send: [], customers: [102, 104] }).expect(201);
    const all = await call({ points: 10, type: 'plus', reason: 'for everyone', channel_send: [], select_all: true }).expect(201);
    fits('201', all.body);
    expect(all.body.data).toMatchObject({ updated_customers: 4, failed_customers: [] });
    const queries = engine.app.get(PointsQueries);
    const figures = await Promise.all(['101', '102', '103', '104'].map(async (customerId) => (await queries.summary({ ...jeddah, customerId })).available));
    expect(figures).toEqual([10_00, 15_00, 10_00, 15_00]);
    const wipe = await call({ reset_points: true, type: 'minus', reason: 'wipe', channel_send: [], select_all: true }).expect(201);
    expect(wipe.body.data.updated_customers).toBe(4);
    expect(await available(748394059)).toBe(886_50);
  });

  it('a retry with the same Idempotency-Key gives the first answer again and changes nothing', async () => {
    const body = { points: 25, type: 'minus', reason: 'order 77', channel_send: ['sms'], customers: [873874834, 5003] };
    const first = await post(body, { 'Idempotency-Key': 'salla-retry-1' }).expect(201);
    const head = await engine.infrastructure.eventStore.headPosition();
    const again = await post(body, { 'Idempotency-Key': 'salla-retry-1' }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);
    expect(await available(873874834)).toBe(875_00);
  });

  it('channel_send: one notification event per customer and channel; e-mail reaches the registered customer once, also across a restart', async () => {
    const registry = engine.app.get(CustomerRegistry);
    await registry.register(STORE, '8001', { email: 'layla@example.com', firstName: 'Layla' });
    await registry.register(STORE, '8002', {});
    const before = smtp.mails.length;
    await post({ points: 40, type: 'plus', reason: 'شكراً لتسوقك معنا', channel_send: ['email', 'sms', 'mobile'], customers: [8001, 8002] }).expect(201);
    for (const customerId of ['8001', '8002']) {
      const notifications = await engine.infrastructure.eventStore.readStream(customerNotificationStream('default', 'DEFAULT', customerId));
      expect(notifications.map((e) => [e.type, (e.data as { channel: string }).channel])).toEqual([
        ['CustomerNotificationRequested', 'email'],
        ['CustomerNotificationRequested', 'sms'],
        ['CustomerNotificationRequested', 'mobile'],
      ]);
      expect(notifications[0].data).toMatchObject({ customerId, change: 'plus', points: 40_00, reason: 'شكراً لتسوقك معنا', locale: 'ar' });
    }
    await until(() => smtp.mails.length > before, 'the e-mail');
    await post({ points: 2, type: 'plus', reason: 'Thanks again', channel_send: ['email'], customers: [8001] }, { 'Accept-Language': 'en' }).expect(201);
    await until(() => smtp.mails.length > before + 1, 'the second e-mail');
    const sent = smtp.mails.slice(before);
    expect(sent.map((mail) => mail.to)).toEqual(['layla@example.com', 'layla@example.com']);
    expect(sent[0].raw).toContain('From: points@shop.example');
    expect(sent[1].subject).toBe('Your loyalty points were updated');
    expect(sent[1].raw).toContain('2 points were added to your balance.');

    // a restart resumes after the checkpoint: what was delivered is not sent again
    await engine.close({ keepData: true });
    engine = await start();
    await post({ points: 1, type: 'plus', reason: 'after restart', channel_send: ['email'], customers: [8001] }, { 'Accept-Language': 'en' }).expect(201);
    await until(() => smtp.mails.length > before + 2, 'the third e-mail');
    await new Promise((r) => setTimeout(r, 300));
    const messageIds = smtp.mails.slice(before).map((mail) => /^Message-ID: (.*)$/m.exec(mail.raw)?.[1]);
    expect(new Set(messageIds).size).toBe(3);
    expect(smtp.mails.length).toBe(before + 3);
    expect(smtp.mails[smtp.mails.length - 1].raw).toContain('after restart');
  });

  it('an address the SMTP server refuses for good is skipped, and the e-mails after it still go out', async () => {
    const registry = engine.app.get(CustomerRegistry);
    await registry.register(STORE, '8101', { email: 'ghost@refused.example' });
    await registry.register(STORE, '8102', { email: 'omar@example.com' });
    const before = smtp.mails.length;
    await post({ points: 5, type: 'plus', reason: 'x', channel_send: ['email'], customers: [8101] }).expect(201);
    await post({ points: 5, type: 'plus', reason: 'y', channel_send: ['email'], customers: [8102] }).expect(201);
    await until(() => smtp.mails.some((mail) => mail.to === 'omar@example.com'), "omar's e-mail");
    expect(smtp.mails.slice(before).map((mail) => mail.to)).toEqual(['omar@example.com']);
  });
});
