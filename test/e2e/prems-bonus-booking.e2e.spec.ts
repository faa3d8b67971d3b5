import { randomUUID } from 'node:crypto';
import { ClientService } from '@app/auth';
import { ManualClock } from '@app/ledger';
import { startTestEngine, TestEngine } from '../support/engine';
import { premsSeedRequest } from '../support/prems-seed';

const BY_NUMBER = 'Update bonus points by customer number';
const BY_ID = 'Update bonus points by customer ID';
const SEED_CUSTOMER_ID = '019685763d44731cb4ac5938f107993e';

describe('Prems bonus system (Shopware): bonus bookings', () => {
  const clock = new ManualClock('2026-06-01T12:00:00.000Z');
  let engine: TestEngine;
  const byNumber = premsSeedRequest(BY_NUMBER);
  const byId = premsSeedRequest(BY_ID);

  /** a raw JSON text body, as Postman sends the collection's (Content-Type application/json) */
  const postRaw = (path: string, raw: string, token = engine.token) =>
    engine.http().post(path).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').send(raw);
  const post = (path: string, body: object, token = engine.token) => engine.http().post(path).set('Authorization', `Bearer ${token}`).send(body);
  const balance = async (store: string, customerId: string): Promise<number> =>
    (await engine.http().get(`/api/${store}/customers/${customerId}/points`).set('Authorization', `Bearer ${engine.token}`).expect(200)).body.active;
  const register = (store: string, body: object) => post(`/api/${store}/customers`, body).expect(201);
  const head = () => engine.infrastructure.eventStore.headPosition();

  let customer10382: string;

  beforeAll(async () => {
    engine = await startTestEngine({ clock });
    const clients = engine.app.get(ClientService);
    await clients.addStore('default', 'SHOP_B', 'EUR');
    await clients.addStoreAlias('default', 'SHOP_B', 'a1b2c3d4e5f60718293a4b5c6d7e8f90');
    await clients.addStore('default', 'CLOSED_SHOP', 'EUR');
    await clients.addStoreAlias('default', 'CLOSED_SHOP', 'closed-channel');
    await engine.http().put('/api/CLOSED_SHOP/settings').set('Authorization', `Bearer ${engine.token}`).send({ openAccountOnFirstAdd: false }).expect(200);
    customer10382 = (await register('DEFAULT', { customerNumber: '10382' })).body.customerId;
  });
  afterAll(() => engine.close());

  describe("the seed's own requests, comments and all", () => {
    it('by customer number: the registered customer 10382 gets 5 points in its store', async () => {
      expect(byNumber.raw).toContain('// Customer number');
      const response = await postRaw(byNumber.path, byNumber.raw).expect(200);
      expect(response.body).toEqual({
        data: {
          id: expect.any(String),
          customerId: customer10382,
          customerNumber: '10382',
          salesChannelId: null,
          storeCode: 'DEFAULT',
          points: 5,
          description: 'Test points',
          balance: 5,
        },
      });
      expect(await balance('DEFAULT', customer10382)).toBe(5);
    });

    it("by customer id: Shopware's 32-hex id passes, and an id the engine has not seen opens an account in the client's default store", async () => {
      expect(byId.raw).toContain('// Customer ID');
      const response = await postRaw(byId.path, byId.raw).expect(200);
      expect(response.body.data).toMatchObject({ customerId: SEED_CUSTOMER_ID, customerNumber: null, storeCode: 'DEFAULT', points: 5, balance: 5 });
      await postRaw(byId.path, byId.raw).expect(200);
      expect(await balance('DEFAULT', SEED_CUSTOMER_ID)).toBe(10);
    });
  });

  describe('points: positive adds, negative spends, whole numbers only', () => {
    it('a negative booking spends, and the answer carries the new balance', async () => {
      const customerId = randomUUID();
      await post(byId.path, { customerId, description: 'order 1', points: 12 }).expect(200);
      const spent = await post(byId.path, { customerId, description: 'redeemed', points: -7 }).expect(200);
      expect(spent.body.data).toMatchObject({ points: -7, balance: 5 });
      expect(await balance('DEFAULT', customerId)).toBe(5);
    });

    it('spending more than the customer has is refused in Shopware form and stores nothing', async () => {
      const customerId = randomUUID();
      await post(byId.path, { customerId, description: 'order', points: 3 }).expect(200);
      const before = await head();
      const refused = await post(byId.path, { customerId, description: 'too much', points: -4 }).expect(422);
      expect(refused.body).toEqual({
        errors: [
          {
            status: '422',
            code: 'PREMS_BONUS_SYSTEM__NOT_ENOUGH_POINTS',
            title: 'Unprocessable Entity',
            detail: expect.any(String),
            meta: { parameters: expect.objectContaining({}) },
          },
        ],
      });
      expect(await head()).toBe(before);
      expect(await balance('DEFAULT', customerId)).toBe(3);
    });

    it('spending from a customer who has no account yet is a 404 and opens none', async () => {
      const before = await head();
      const refused = await post(byId.path, { customerId: randomUUID(), description: 'x', points: -1 }).expect(404);
      expect(refused.body.errors[0]).toMatchObject({ status: '404', code: 'PREMS_BONUS_SYSTEM__ACCOUNT_NOT_FOUND' });
      expect(await head()).toBe(before);
    });

    it.each([
      [0, 'VIOLATION::IS_EQUAL_ERROR'],
      [1.5, 'VIOLATION::INVALID_TYPE_ERROR'],
      ['5', 'VIOLATION::INVALID_TYPE_ERROR'],
      [null, 'VIOLATION::IS_BLANK_ERROR'],
      [1_000_000_000, 'VIOLATION::TOO_HIGH_ERROR'],
    ])('points %j is a 400 pointing at /points (%s), nothing stored', async (points, code) => {
      const before = await head();
      const refused = await post(byId.path, { customerId: randomUUID(), description: 'x', points }).expect(400);
      expect(refused.body.errors).toEqual([
        { status: '400', code, title: 'Constraint violation error', detail: expect.any(String), source: { pointer: '/points' } },
      ]);
      expect(await head()).toBe(before);
    });

    it('every missing field is named, each with its own pointer', async () => {
      const refused = await post(byNumber.path, {}).expect(400);
      expect(refused.body.errors.map((e: { source: { pointer: string } }) => e.source.pointer).sort()).toEqual(['/customerNumber', '/description', '/points']);
      const badId = await post(byId.path, { customerId: 'no spaces allowed', description: 'x', points: 1 }).expect(400);
      expect(badId.body.errors).toEqual([expect.objectContaining({ code: 'VIOLATION::REGEX_FAILED_ERROR', source: { pointer: '/customerId' } })]);
    });
  });

  describe('customers and stores', () => {
    it('an unknown customer number is a 404 in Shopware form', async () => {
      const refused = await post(byNumber.path, { customerNumber: 'nobody-99', description: 'x', points: 5 }).expect(404);
      expect(refused.body.errors).toEqual([expect.objectContaining({ status: '404', code: 'CHECKOUT__CUSTOMER_NOT_FOUND', title: 'Not Found' })]);
    });

    it("without salesChannelId a customer number books in the customer's own store", async () => {
      const { customerId } = (await register('SHOP_B', { customerNumber: 'B-200' })).body;
      const booked = await post(byNumber.path, { customerNumber: 'B-200', description: 'x', points: 8, salesChannelId: '' }).expect(200);
      expect(booked.body.data).toMatchObject({ customerId, storeCode: 'SHOP_B', salesChannelId: null, balance: 8 });
      expect(await balance('SHOP_B', customerId)).toBe(8);
    });

    it("without salesChannelId a registered customer id books in the customer's store", async () => {
      const customerId = randomUUID().replace(/-/g, '');
      await register('SHOP_B', { customerId, customerNumber: 'B-201' });
      const booked = await post(byId.path, { customerId, description: 'x', points: 4 }).expect(200);
      expect(booked.body.data).toMatchObject({ customerId, storeCode: 'SHOP_B', balance: 4 });
    });

    it('a salesChannelId names the store it is an alias of; the customer number must be registered there', async () => {
      const channel = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
      const booked = await post(byId.path, { customerId: SEED_CUSTOMER_ID, description: 'x', points: 2, salesChannelId: channel }).expect(200);
      expect(booked.body.data).toMatchObject({ storeCode: 'SHOP_B', salesChannelId: channel, balance: 2 });
      expect(await balance('SHOP_B', SEED_CUSTOMER_ID)).toBe(2);
      // 10382 is a customer of DEFAULT, not of the channel's store
      const refused = await post(byNumber.path, { customerNumber: '10382', description: 'x', points: 2, salesChannelId: channel }).expect(404);
      expect(refused.body.errors[0].code).toBe('CHECKOUT__CUSTOMER_NOT_FOUND');
    });

    it('an unknown salesChannelId is a 404 in Shopware form, before anything is stored', async () => {
      const before = await head();
      const refused = await post(byId.path, { customerId: SEED_CUSTOMER_ID, description: 'x', points: 2, salesChannelId: 'ffffffffffffffffffffffffffffffff' }).expect(404);
      expect(refused.body.errors).toEqual([
        { status: '404', code: 'FRAMEWORK__SALES_CHANNEL_NOT_FOUND', title: 'Not Found', detail: expect.stringContaining('ffffffffffffffffffffffffffffffff') },
      ]);
      expect(await head()).toBe(before);
    });

    it("an unknown customer id gets no account where the store's settings do not open accounts on first add", async () => {
      const before = await head();
      const refused = await post(byId.path, { customerId: randomUUID(), description: 'x', points: 5, salesChannelId: 'closed-channel' }).expect(404);
      expect(refused.body.errors[0]).toMatchObject({ status: '404', code: 'PREMS_BONUS_SYSTEM__ACCOUNT_NOT_FOUND' });
      expect(await head()).toBe(before);
    });

    it('a customer id the engine has not seen, for a client without a default store, is a 404 saying so', async () => {
      const clients = engine.app.get(ClientService);
      const { clientId, clientSecret } = await clients.createClient('default', ['points:write']);
      const token = (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).expect(200)).body.access_token;
      const refused = await post(byId.path, { customerId: randomUUID(), description: 'x', points: 5 }, token).expect(404);
      expect(refused.body.errors[0]).toMatchObject({ code: 'FRAMEWORK__SALES_CHANNEL_NOT_FOUND', detail: expect.stringContaining('default store') });
    });
  });

  describe('bodies: comments on Prems paths only', () => {
    it('a // inside a string survives the comment stripping', async () => {
      const raw = '{\n  "customerId": "url-keeper-1", // id\n  "description": "see https://shop.example//orders/1", // with a URL\n  "points": 1\n}';
      const booked = await postRaw(byId.path, raw).expect(200);
      expect(booked.body.data.description).toBe('see https://shop.example//orders/1');
    });

    it('every other route keeps strict JSON: the same comments are a 400 there', async () => {
      const raw = '{"transfer": {"customer": "strict-1", "points": 5}} // comment';
      const refused = await postRaw('/api/DEFAULT/points/transfer/add', raw).expect(400);
      expect(refused.body).toMatchObject({ statusCode: 400 });
    });

    it('malformed JSON, an empty body and a body over the limit are refused in Shopware form', async () => {
      const malformed = await postRaw(byId.path, '{"customerId": "x", // unclosed').expect(400);
      expect(malformed.body.errors).toEqual([expect.objectContaining({ status: '400', code: '0', title: 'Bad Request' })]);
      const empty = await postRaw(byId.path, '').expect(400);
      expect(empty.body.errors[0]).toMatchObject({ status: '400' });
      const huge = `{"customerId": "x", "description": "${'a'.repeat(engine.config.bodyLimitBytes)}", "points": 1}`;
      const tooLarge = await postRaw(byId.path, huge).expect(413);
      expect(tooLarge.body.errors[0]).toMatchObject({ status: '413', title: 'Payload Too Large' });
    });

    it('an unknown path under a Prems prefix is a 404 in Shopware form', async () => {
      const response = await post('/api/_action/prems/no-such-action', {}).expect(404);
      expect(response.body.errors[0]).toMatchObject({ status: '404', code: '0' });
    });
  });

  describe('auth and idempotency', () => {
    it('no token is a 401 in Shopware form with a Bearer challenge', async () => {
      const response = await engine.http().post(byNumber.path).set('Content-Type', 'application/json').send(byNumber.raw).expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(response.body.errors).toEqual([expect.objectContaining({ status: '401', code: '9' })]);
    });

    it('a client without points:write is a 403 listing the missing privilege', async () => {
      const clients = engine.app.get(ClientService);
      const { clientId, clientSecret } = await clients.createClient('default', ['points:read'], { defaultStore: 'DEFAULT' });
      const token = (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).expect(200)).body.access_token;
      const refused = await postRaw(byId.path, byId.raw, token).expect(403);
      expect(refused.body.errors[0]).toMatchObject({ status: '403', code: 'FRAMEWORK__MISSING_PRIVILEGE_ERROR' });
      expect(JSON.parse(refused.body.errors[0].detail)).toMatchObject({ missingPrivileges: ['points:write'] });
    });

    it('an Idempotency-Key books once: the repeat gets the first answer, another body under the key a 409', async () => {
      const customerId = randomUUID();
      const key = randomUUID();
      const body = { customerId, description: 'once', points: 6 };
      const first = await post(byId.path, body).set('Idempotency-Key', key).expect(200);
      const again = await post(byId.path, body).set('Idempotency-Key', key).expect(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      const other = await post(byId.path, { ...body, points: 7 }).set('Idempotency-Key', key).expect(409);
      expect(other.body.errors[0]).toMatchObject({ status: '409', code: 'PREMS_BONUS_SYSTEM__IDEMPOTENCY_KEY_REUSED' });
      expect(await balance('DEFAULT', customerId)).toBe(6);
    });
  });
});
