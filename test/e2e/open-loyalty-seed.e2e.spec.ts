import { randomUUID } from 'node:crypto';
import { startTestEngine, TestEngine } from '../support/engine';
import { pointsTransfersXml } from '../support/xml-fixtures';

/**
 * Replays every curl example of seeds/open-loyalty-points-transfers.md (host and token adapted,
 * form-urlencoded bodies as the seed sends them) and checks status and response shape against
 * the seed's example responses.
 */

/** The seed's first listing example, with the field types it shows. */
const SEED_TRANSFER = {
  pointsTransferId: 'ae1c49b1-02ab-4626-982d-71b544b01136',
  accountId: '49a218ab-71ba-4f7f-8f4e-407df5f84b11',
  customerId: '00000000-0000-474c-b092-b0dd880c07e1',
  customerFirstName: 'John',
  customerLastName: 'Doe',
  customerLoyaltyCardNumber: '47834433524',
  customerEmail: 'user@example.com',
  customerPhone: '+48234234000',
  createdAt: '2018-09-13T16:37:33+0200',
  expiresAt: '2018-10-13T16:37:33+0200',
  value: 10,
  state: 'active',
  type: 'adding',
  comment: 'Event - First Purchase - 10',
  issuer: 'system',
};
const SEED_STORE = { code: 'DEFAULT', currency: 'EUR' };
const SEED_IMPORT = {
  items: [{ status: 'success', processImportResult: { object: { pointsTransferId: 'e08cf828-989b-4bd0-8221-cf44c3be8a64' } }, identifier: 'x/(adding 15)' }],
  totalProcessed: 1,
  totalSuccess: 1,
  totalFailed: 0,
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OFFSET_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:?\d{2}$/;

/** Every key of `example` is in `actual` with a value of the same JSON type (recursively for objects and arrays). */
function expectShapeOf(actual: unknown, example: unknown, path = '$'): void {
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  expect(`${path}: ${kind(actual)}`).toBe(`${path}: ${kind(example)}`);
  if (Array.isArray(example) && Array.isArray(actual) && example.length) {
    for (const [i, item] of actual.entries()) expectShapeOf(item, example[0], `${path}[${i}]`);
  } else if (kind(example) === 'object') {
    for (const [key, value] of Object.entries(example as object)) {
      expect(Object.keys(actual as object)).toContain(key);
      expectShapeOf((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
  }
}

describe('Open Loyalty seed examples, replayed', () => {
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}`, Accept: 'application/json' });
  const customer = randomUUID();
  const receiver = randomUUID();

  const form = (path: string, body: string, token = engine.token) =>
    engine.http().post(path).set({ Authorization: `Bearer ${token}`, Accept: 'application/json' }).type('form').send(body);

  beforeAll(async () => {
    engine = await startTestEngine();
    await engine
      .http()
      .post('/api/DEFAULT/customers')
      .set(auth())
      .send({ customerId: customer, firstName: 'John', lastName: 'Doe', email: `john-${customer}@example.com`, phone: '+48234234000', loyaltyCardNumber: '47834433524' })
      .expect(201);
    await engine.http().post('/api/DEFAULT/customers').set(auth()).send({ customerId: receiver, email: `jane-${receiver}@example.com`, phone: '+48234234001' }).expect(201);
    await engine.http().put('/api/DEFAULT/settings').set(auth()).send({ expiry: { policy: 'after_days', days: 30 } }).expect(200);
  });
  afterAll(() => engine.close());

  it('add: 200 {pointsTransferId}', async () => {
    const response = await form('/api/DEFAULT/points/transfer/add', `transfer[customer]=${customer}&transfer[points]=9`).expect(200);
    expect(Object.keys(response.body)).toEqual(['pointsTransferId']);
    expect(response.body.pointsTransferId).toMatch(UUID);
  });

  it('spend: 200 {pointsTransferId}', async () => {
    const response = await form('/api/DEFAULT/points/transfer/spend', `transfer[customer]=${customer}&transfer[points]=1`).expect(200);
    expect(Object.keys(response.body)).toEqual(['pointsTransferId']);
    expect(response.body.pointsTransferId).toMatch(UUID);
  });

  it('block: 200 {pointsTransferId}, and the block shows in the listing as type blocked', async () => {
    const response = await form('/api/DEFAULT/points/transfer/block', `transfer[customer]=${customer}&transfer[points]=2`).expect(200);
    expect(Object.keys(response.body)).toEqual(['pointsTransferId']);
    const listed = await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${customer}&type=blocked`).set(auth()).expect(200);
    expect(listed.body.transfers.map((t: { pointsTransferId: string }) => t.pointsTransferId)).toEqual([response.body.pointsTransferId]);
  });

  it('admin p2p: 200 {pointsTransferId} of the p2p spending', async () => {
    await form('/api/DEFAULT/points/transfer/add', `transfer[customer]=${customer}&transfer[points]=200`).expect(200);
    const response = await form('/api/DEFAULT/admin/p2p-points-transfer', `transfer[sender]=${customer}&transfer[receiver]=${receiver}&transfer[points]=100`).expect(200);
    expect(Object.keys(response.body)).toEqual(['pointsTransferId']);
    const listed = await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${customer}&type=p2p_spending`).set(auth()).expect(200);
    expect(listed.body.transfers[0]).toMatchObject({ pointsTransferId: response.body.pointsTransferId, value: 100, type: 'p2p_spending' });
  });

  it('customer p2p (customer token): 200 {pointsTransferId}', async () => {
    const token = await customerToken(receiver, 'points:read points:write');
    const response = await form('/api/DEFAULT/customer/points/p2p-transfer', `transfer[receiver]=${customer}&transfer[points]=10`, token).expect(200);
    expect(Object.keys(response.body)).toEqual(['pointsTransferId']);
    expect(response.body.pointsTransferId).toMatch(UUID);
  });

  it('cancel: 200 with no content', async () => {
    const added = await form('/api/DEFAULT/points/transfer/add', `transfer[customer]=${customer}&transfer[points]=5`).expect(200);
    const response = await form(`/api/DEFAULT/points/transfer/${added.body.pointsTransferId}/cancel`, '').expect(200);
    expect(response.text).toBe('');
    expect(response.headers['x-cancelled-points']).toBe('5.00');
  });

  it('activate: 204 on a pending transfer, which becomes active', async () => {
    const added = await form('/api/DEFAULT/points/transfer/add', `transfer[customer]=${customer}&transfer[points]=7&transfer[pendingDays]=3`).expect(200);
    const response = await form(`/api/DEFAULT/points/transfer/${added.body.pointsTransferId}/activate`, '').expect(204);
    expect(response.text).toBe('');
    const listed = await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${customer}&perPage=100`).set(auth()).expect(200);
    expect(listed.body.transfers.find((t: { pointsTransferId: string }) => t.pointsTransferId === added.body.pointsTransferId).state).toBe('active');
  });

  it('expire: 204 on an active transfer, which becomes expired', async () => {
    const added = await form('/api/DEFAULT/points/transfer/add', `transfer[customer]=${customer}&transfer[points]=3`).expect(200);
    await form(`/api/DEFAULT/points/transfer/${added.body.pointsTransferId}/expire`, '').expect(204);
    const listed = await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${customer}&state[]=expired`).set(auth()).expect(200);
    expect(listed.body.transfers.map((t: { pointsTransferId: string }) => t.pointsTransferId)).toContain(added.body.pointsTransferId);
  });

  it('listing: 200 {transfers, total} with every field of the seed example', async () => {
    const response = await engine.http().get('/api/DEFAULT/points/transfer').set(auth()).set('Content-type', 'application/x-www-form-urlencoded').expect(200);
    expectShapeOf(response.body, { transfers: [], total: 2 });
    expect(response.body.total).toBeGreaterThanOrEqual(8);
    expect(response.body.transfers).toHaveLength(10);
    const adding = await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${customer}&type=adding&perPage=1`).set(auth()).expect(200);
    const [row] = adding.body.transfers;
    const { comment: _comment, ...uncommented } = SEED_TRANSFER;
    expectShapeOf(row, uncommented);
    expectShapeOf(row.store, SEED_STORE);
    expect(row).toMatchObject({ customerId: customer, customerFirstName: 'John', customerLastName: 'Doe', customerLoyaltyCardNumber: '47834433524', type: 'adding', issuer: 'api' });
    expect(row.createdAt).toMatch(OFFSET_TIME);
    expect(row.expiresAt).toMatch(OFFSET_TIME);
    const commented = await form('/api/DEFAULT/points/transfer/add', `transfer[customer]=${customer}&transfer[points]=6.9&transfer[comment]=General spending rule - 2.3`).expect(200);
    const withComment = await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${customer}&sort=createdAt&direction=desc&perPage=50`).set(auth()).expect(200);
    const shown = withComment.body.transfers.find((t: { pointsTransferId: string }) => t.pointsTransferId === commented.body.pointsTransferId);
    expectShapeOf(shown, SEED_TRANSFER);
    expect(shown.value).toBe(6.9);
  });

  it('customer listing (customer token): 200 {transfers, total}, only that customer', async () => {
    const token = await customerToken(receiver);
    const response = await engine.http().get('/api/DEFAULT/customer/points/transfer').set({ Authorization: `Bearer ${token}`, Accept: 'application/json' }).expect(200);
    expectShapeOf(response.body, { transfers: [], total: 2 });
    // the p2p credit keeps each sender lot's expiry, so it may arrive as several p2p_adding lots
    const rows = response.body.transfers as Array<{ type: string; value: number }>;
    expect(response.body.total).toBe(rows.length);
    expect(rows.filter((row) => row.type === 'p2p_adding').reduce((sum, row) => sum + row.value, 0)).toBe(100);
    expect(rows.filter((row) => row.type === 'p2p_spending').map((row) => row.value)).toEqual([10]);
    for (const row of response.body.transfers) {
      expectShapeOf(row, { pointsTransferId: '', accountId: '', customerId: '', createdAt: '', value: 10, state: 'active', type: 'adding', issuer: 'system' });
      expect(row.customerId).toBe(receiver);
    }
    // another customer's id as a filter is not honoured on the customer route
    const sneaky = await engine.http().get(`/api/DEFAULT/customer/points/transfer?customerId=${customer}`).set({ Authorization: `Bearer ${token}` }).expect(200);
    expect(sneaky.body.transfers.every((row: { customerId: string }) => row.customerId === receiver)).toBe(true);
  });

  it('import: 200 with items, totals and the seed identifier format', async () => {
    const xml = pointsTransfersXml([{ customerId: customer, points: '15', type: 'adding' }]);
    const response = await engine.http().post('/api/DEFAULT/points/transfer/import').set(auth()).attach('file[file]', Buffer.from(xml), 'points.xml').expect(200);
    expectShapeOf(response.body, SEED_IMPORT);
    expect(response.body.items[0]).toMatchObject({ status: 'success', identifier: `${customer}/(adding 15)` });
    expect(response.body.items[0].processImportResult.object.pointsTransferId).toMatch(UUID);
    // the seed's literal curl sends a form with a fake path, not a file: a clear 400, not a 500
    const literal = await form('/api/DEFAULT/points/transfer/import', 'file[file]=C:\\fakepath\\points.xml').expect(400);
    expect(literal.body.errors).toEqual([{ field: 'file[file]', message: expect.stringContaining('multipart/form-data') }]);
  });

  it('histogram: 200, 30 contiguous zero-filled days ending today, point sums as numbers', async () => {
    const dayBefore = new Date().toISOString().slice(0, 10);
    const response = await engine.http().get('/api/DEFAULT/points/transfers').set(auth()).expect(200);
    const dayAfter = new Date().toISOString().slice(0, 10);
    const keys = Object.keys(response.body);
    expect(keys).toHaveLength(30);
    for (const [i, key] of keys.entries()) {
      expect(key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (i) expect(Date.parse(key) - Date.parse(keys[i - 1])).toBe(86_400_000);
      expect(typeof response.body[key]).toBe('number');
    }
    // the request may straddle UTC midnight: today is the day it started or the day it ended
    expect([dayBefore, dayAfter]).toContain(keys[29]);
    expect(response.body[keys[29]]).toBeGreaterThan(0);
  });

  async function customerToken(customerId: string, scope?: string): Promise<string> {
    const response = await engine
      .http()
      .post(`/api/DEFAULT/customers/${customerId}/token`)
      .set(auth())
      .send(scope ? { scope } : {})
      .expect(200);
    return response.body.access_token as string;
  }
});
