import { randomUUID } from 'node:crypto';
import { startTestEngine, TestEngine } from '../support/engine';
import { pointsTransfersXml } from '../support/xml-fixtures';

/** What a new user's probing found (issue 15): each refusal is a clear 4xx and changes nothing. */
describe('request hardening', () => {
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });
  const add = (customer: string, points: unknown) =>
    engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points } });
  const settingsEvents = async () => (await engine.infrastructure.eventStore.readStream('storeSettings-default:DEFAULT')).length;

  beforeAll(async () => {
    engine = await startTestEngine({ env: { LOYALTY_IMPORT_MAX_BYTES: '2000' } });
  });
  afterAll(() => engine.close());

  describe('customer tokens', () => {
    it('refuses a customer id outside the id pattern with 400, not 500', async () => {
      for (const id of ['-abc', encodeURIComponent('é')]) {
        const response = await engine.http().post(`/api/DEFAULT/customers/${id}/token`).set(auth()).send({});
        expect({ id, status: response.status }).toEqual({ id, status: 400 });
        expect(response.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('customer id') });
      }
    });

    it('refuses a customer that is neither registered nor holds points with 404', async () => {
      const stranger = randomUUID();
      const response = await engine.http().post(`/api/DEFAULT/customers/${stranger}/token`).set(auth()).send({}).expect(404);
      expect(response.body).toMatchObject({ statusCode: 404, message: `customer "${stranger}" not found` });
    });

    it('mints for a customer right after registration and right after a first credit (read-your-writes)', async () => {
      const registered = randomUUID();
      await engine.http().post('/api/DEFAULT/customers').set(auth()).send({ customerId: registered }).expect(201);
      await engine.http().post(`/api/DEFAULT/customers/${registered}/token`).set(auth()).send({}).expect(200);
      const credited = randomUUID();
      await add(credited, 5).expect(200);
      const minted = await engine.http().post(`/api/DEFAULT/customers/${credited}/token`).set(auth()).send({}).expect(200);
      expect(minted.body).toMatchObject({ customer_id: credited, token_type: 'Bearer' });
    });
  });

  describe('deeply nested bodies', () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    const routes = ['/api/DEFAULT/points/transfer/add', '/api/DEFAULT/customers', '/api/DEFAULT/admin/p2p-points-transfer'];

    it('refuses ~3,000 nested arrays in JSON with 400 naming the limit, on every command route', async () => {
      for (const route of routes) {
        const response = await engine.http().post(route).set(auth()).set('Content-Type', 'application/json').send(`{"transfer":${nested(3000)}}`);
        expect({ route, status: response.status }).toEqual({ route, status: 400 });
        expect(response.body.message).toMatch(/nested more than \d+ levels deep/);
      }
    });

    it('a deeply nested form body is a 400 too', async () => {
      // the form parser (qs) already stops at depth 5 and keeps the rest as one key, which validation refuses
      const field = `transfer${'[a]'.repeat(40)}=1`;
      const response = await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).type('form').send(field);
      expect(response.status).toBe(400);
    });

    it('still accepts an ordinary nested body', async () => {
      await add(randomUUID(), 1).expect(200);
    });
  });

  describe('bearer tokens travel only in the Authorization header', () => {
    it('refuses a token in the query string', async () => {
      const response = await engine.http().get(`/api/DEFAULT/points/transfer?access_token=${engine.token}`).expect(401);
      expect(response.body).toMatchObject({ statusCode: 401, message: expect.stringContaining('Authorization header') });
    });

    it('refuses a token in the body', async () => {
      await engine.http().post('/api/DEFAULT/points/transfer/add').send({ access_token: engine.token, transfer: { customer: randomUUID(), points: 1 } }).expect(401);
      await engine.http().post('/api/DEFAULT/points/transfer/add').type('form').send(`access_token=${engine.token}&transfer[customer]=${randomUUID()}&transfer[points]=1`).expect(401);
    });

    it('still accepts the header', async () => {
      await engine.http().get('/api/DEFAULT/points/transfer').set(auth()).expect(200);
    });
  });

  describe('points grammar', () => {
    it('refuses points with surrounding whitespace and credits nothing', async () => {
      const customer = randomUUID();
      for (const points of [' 5', '5 ', '\t5', '5\n']) {
        const response = await add(customer, points).expect(400);
        expect(response.body.errors).toEqual([{ field: 'transfer[points]', message: expect.any(String) }]);
      }
      await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(auth()).expect(404);
    });
  });

  describe('store settings', () => {
    it('an empty change is 200 with the current settings and appends no event', async () => {
      const before = await settingsEvents();
      const current = (await engine.http().get('/api/DEFAULT/settings').set(auth()).expect(200)).body;
      const response = await engine.http().put('/api/DEFAULT/settings').set(auth()).send({}).expect(200);
      expect(response.body).toEqual(current);
      expect(await settingsEvents()).toBe(before);
    });

    it('a change to the value already set appends no event', async () => {
      await engine.http().put('/api/DEFAULT/settings').set(auth()).send({ pendingDays: 0 }).expect(200);
      const before = await settingsEvents();
      await engine.http().put('/api/DEFAULT/settings').set(auth()).send({ pendingDays: 0 }).expect(200);
      expect(await settingsEvents()).toBe(before);
    });

    it('unknown fields are a 400 naming the field, and change nothing', async () => {
      const before = await settingsEvents();
      const response = await engine.http().put('/api/DEFAULT/settings').set(auth()).send({ pendingDayz: 3 }).expect(400);
      expect(response.body.errors).toEqual([{ field: 'pendingDayz', message: expect.stringContaining('pendingDayz') }]);
      const nested = await engine.http().put('/api/DEFAULT/settings').set(auth()).send({ expiry: { policy: 'never', dayz: 1 } }).expect(400);
      expect(nested.body.errors).toEqual([{ field: 'expiry.dayz', message: expect.stringContaining('expiry.dayz') }]);
      expect(await settingsEvents()).toBe(before);
    });
  });

  describe('XML import size', () => {
    it('refuses a file above LOYALTY_IMPORT_MAX_BYTES with 413 naming the limit', async () => {
      const xml = pointsTransfersXml(Array.from({ length: 40 }, () => ({ customerId: randomUUID(), points: '1', type: 'adding' })));
      expect(xml.length).toBeGreaterThan(2000);
      const response = await engine.http().post('/api/DEFAULT/points/transfer/import').set(auth()).attach('file[file]', Buffer.from(xml), 'points.xml').expect(413);
      expect(response.body.message).toContain('2000 bytes');
    });
  });

  describe('422 details', () => {
    it('insufficient_points gives available and requested in points, as its message does', async () => {
      const customer = randomUUID();
      await add(customer, '70.5').expect(200);
      const response = await engine.http().post('/api/DEFAULT/points/transfer/spend').set(auth()).send({ transfer: { customer, points: '70.51' } }).expect(422);
      expect(response.body).toMatchObject({
        code: 'insufficient_points',
        message: 'not enough points: 70.50 available, 70.51 requested',
        details: { available: 70.5, requested: 70.51 },
      });
    });
  });
});
