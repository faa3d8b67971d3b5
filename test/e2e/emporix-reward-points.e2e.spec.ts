import { randomUUID } from 'node:crypto';
import { ClientService } from '@app/auth';
import { ManualClock } from '@app/ledger';
import { startTestEngine, TestEngine } from '../support/engine';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The Emporix Reward Points Service over real HTTP: the seed's routes, bodies and answers. */
describe('Emporix reward points', () => {
  const clock = new ManualClock('2026-06-01T12:00:00.000Z');
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });
  const get = (path: string) => engine.http().get(path).set(auth());
  const post = (path: string, body: object) => engine.http().post(path).set(auth()).send(body);
  const head = () => engine.infrastructure.eventStore.headPosition();

  beforeAll(async () => {
    engine = await startTestEngine({ clock });
    await engine.app.get(ClientService).addStore('default', 'main', 'EUR');
  });
  afterAll(() => engine.close());

  it('the Emporix flow: addPoints 100 with id X twice, redeemPoints 30: one entry each, 100 then 70, balance 70, listed in summaryBatch', async () => {
    const customer = `C${randomUUID().slice(0, 8)}`;
    const x = randomUUID();
    const add = { id: x, 'reference-id': 'ORDER-1', description: 'points added', points: 100 };
    const first = await post(`/reward-points/customer/${customer}/addPoints?siteCode=main`, add).expect(201);
    expect(first.text).toBe('');
    const afterFirst = await head();
    const again = await post(`/reward-points/customer/${customer}/addPoints?siteCode=main`, add).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe('');
    expect(await head()).toBe(afterFirst);

    const redeemId = randomUUID();
    await post(`/reward-points/customer/${customer}/redeemPoints`, { id: redeemId, description: 'voucher', points: 30 }).expect(201);

    const summary = await get(`/reward-points/customer/${customer}/summary`).expect(200);
    expect(summary.body).toEqual({
      customerId: customer,
      activePoints: 70,
      summary: {
        addedPointsList: [
          {
            id: x,
            'reference-id': 'ORDER-1',
            description: 'points added',
            points: 100,
            createdAt: '2026-06-01T12:00:00.000Z',
            allPointsAfterCreation: 100,
            usedPoints: 30,
            usedWith: [redeemId],
          },
        ],
        redeemedPointsList: [{ id: redeemId, description: 'voucher', points: 30, createdAt: '2026-06-01T12:00:00.000Z', allPointsAfterCreation: 70 }],
      },
    });
    const balance = await get(`/reward-points/customer/${customer}`).expect(200);
    expect(balance.body).toBe(70);
    expect(balance.headers['content-type']).toMatch(/application\/json/);

    const batch = await get('/reward-points/summaryBatch?pageSize=500').expect(200);
    expect(batch.body).toContainEqual({ ...summary.body, siteCode: 'main' });
  });

  it("takes the seed's addPoints example as sent: reference-id, a past createdAt as business time, validUntil as the lot's expiry, computed fields ignored", async () => {
    const customer = `C${randomUUID().slice(0, 8)}`;
    await post(`/reward-points/customer/${customer}/addPoints?siteCode=main`, { points: 10, description: 'earlier lot' }).expect(201);
    // the seed's own example body
    const example = {
      id: '12345fee-0b83-48aa-95dc-11e3dcf84aaa',
      'reference-id': '123456',
      description: 'points added',
      points: 123,
      createdAt: '2023-10-24T14:15:22Z',
      allPointsAfterCreation: 56778,
      usedPoints: 5,
      validUntil: '2029-08-24T14:15:22Z',
      usedWith: ['5237bcac-c548-4e49-8626-03dab65376d6'],
    };
    await post(`/reward-points/customer/${customer}/addPoints?siteCode=main`, example).expect(201);
    const { body } = await get(`/reward-points/customer/${customer}/summary?siteCode=main`).expect(200);
    // the back-dated entry stays second: a past createdAt never reorders the ledger
    expect(body.summary.addedPointsList.map((entry: { id: string }) => entry.id)).toEqual([expect.any(String), example.id]);
    expect(body.summary.addedPointsList[1]).toEqual({
      id: example.id,
      'reference-id': '123456',
      description: 'points added',
      points: 123,
      createdAt: '2023-10-24T14:15:22.000Z',
      validUntil: '2029-08-24T14:15:22.000Z',
      allPointsAfterCreation: 133,
      usedPoints: 0,
      usedWith: [],
    });
    expect(body.summary.addedPointsList[0]).toMatchObject({ 'reference-id': null, createdAt: '2026-06-01T12:00:00.000Z' });
    // the earlier lot has no expiry, the example's has one: redeeming takes from the expiring lot first
    await post(`/reward-points/customer/${customer}/redeemPoints`, { description: 'points redeemed', points: 50 }).expect(201);
    const after = await get(`/reward-points/customer/${customer}/summary`).expect(200);
    expect(after.body.summary.addedPointsList.map((entry: { usedPoints: number }) => entry.usedPoints)).toEqual([0, 50]);
    expect(after.body.summary.redeemedPointsList).toEqual([
      { id: expect.any(String), description: 'points redeemed', points: 50, createdAt: '2026-06-01T12:00:00.000Z', allPointsAfterCreation: 83 },
    ]);
  });

  it('redeemPoints: the seed example, a past createdAt kept, and points that expired at validUntil cannot be redeemed', async () => {
    const customer = `C${randomUUID().slice(0, 8)}`;
    const expiresAt = new Date(clock.now().getTime() + DAY_MS).toISOString();
    await post(`/reward-points/customer/${customer}/addPoints`, { points: 80, validUntil: expiresAt }).expect(201);
    await post(`/reward-points/customer/${customer}/addPoints`, { points: 20 }).expect(201);
    // the seed's example
    await post(`/reward-points/customer/${customer}/redeemPoints`, { description: 'points redeemed', points: 50 }).expect(201);
    await post(`/reward-points/customer/${customer}/redeemPoints`, { points: 5, createdAt: '2026-05-30T08:00:00Z' }).expect(201);
    const redeemed = (await get(`/reward-points/customer/${customer}/summary`).expect(200)).body.summary.redeemedPointsList;
    expect(redeemed.map((entry: { createdAt: string; allPointsAfterCreation: number }) => [entry.createdAt, entry.allPointsAfterCreation])).toEqual([
      ['2026-06-01T12:00:00.000Z', 50],
      ['2026-05-30T08:00:00.000Z', 45],
    ]);

    clock.advance(2 * DAY_MS);
    await engine.refreshToken();
    const before = await head();
    // 25 left of the expired lot are gone: only the 20 without expiry remain
    const refused = await post(`/reward-points/customer/${customer}/redeemPoints`, { points: 21 }).expect(400);
    expect(refused.body).toMatchObject({ status: 400, type: 'insufficient_points', message: expect.stringContaining('20.00 available') });
    expect(await head()).toBe(before);
    await post(`/reward-points/customer/${customer}/redeemPoints`, { points: 20 }).expect(201);
    expect((await get(`/reward-points/customer/${customer}`).expect(200)).body).toBe(0);
  });

  it('refuses decimal points, a future createdAt, a past validUntil and a malformed customer id with 400 per field, changing nothing', async () => {
    const customer = `C${randomUUID().slice(0, 8)}`;
    const before = await head();
    const decimal = await post(`/reward-points/customer/${customer}/addPoints`, { points: 12.5 }).expect(400);
    expect(decimal.body).toEqual({
      status: 400,
      type: 'validation_violation',
      message: expect.any(String),
      moreInfo: '',
      details: [{ field: 'points', type: 'invalid_value', message: 'must be a whole number of points (this API has no decimals)', moreInfo: '' }],
    });
    const redeemDecimal = await post(`/reward-points/customer/${customer}/redeemPoints`, { points: '3' }).expect(400);
    expect(redeemDecimal.body.details).toEqual([expect.objectContaining({ field: 'points' })]);
    const missing = await post(`/reward-points/customer/${customer}/addPoints`, { description: 'no points' }).expect(400);
    expect(missing.body.details).toEqual([expect.objectContaining({ field: 'points', message: 'is required' })]);
    const bodiless = await engine.http().post(`/reward-points/customer/${customer}/redeemPoints`).set(auth()).expect(400);
    expect(bodiless.body.details).toEqual([expect.objectContaining({ field: 'points', message: 'is required' })]);
    const badId = await post(`/reward-points/customer/${customer}/addPoints`, { id: 'has space', points: 1 }).expect(400);
    expect(badId.body.details).toEqual([expect.objectContaining({ field: 'id' })]);
    const tomorrow = new Date(clock.now().getTime() + DAY_MS).toISOString();
    const yesterday = new Date(clock.now().getTime() - DAY_MS).toISOString();
    const future = await post(`/reward-points/customer/${customer}/addPoints`, { points: 1, createdAt: tomorrow }).expect(400);
    expect(future.body).toMatchObject({
      type: 'invalid_lot_dates',
      message: 'createdAt must not be in the future',
      details: [{ field: 'createdAt', type: 'invalid_lot_dates', message: 'createdAt must not be in the future', moreInfo: '' }],
    });
    const expired = await post(`/reward-points/customer/${customer}/addPoints`, { points: 1, validUntil: yesterday }).expect(400);
    expect(expired.body).toMatchObject({ type: 'invalid_lot_dates', details: [expect.objectContaining({ field: 'validUntil' })] });
    const notADate = await post(`/reward-points/customer/${customer}/addPoints`, { points: 1, validUntil: 'tomorrow' }).expect(400);
    expect(notADate.body.details).toEqual([expect.objectContaining({ field: 'validUntil' })]);
    for (const path of ['/reward-points/customer/bad%20id', '/reward-points/customer/bad%20id/summary']) {
      const malformed = await get(path).expect(400);
      expect(malformed.body.details).toEqual([expect.objectContaining({ field: 'customerId' })]);
    }
    await post('/reward-points/customer/bad%20id/addPoints', { points: 1 }).expect(400);
    const json = await engine.http().post(`/reward-points/customer/${customer}/addPoints`).set(auth()).set('content-type', 'application/json').send('{"points": 1').expect(400);
    expect(json.body).toMatchObject({ status: 400, type: 'validation_violation' });
    expect(await head()).toBe(before);
  });

  it('the same id with another body is a 409 in Emporix shape and stores nothing', async () => {
    const customer = `C${randomUUID().slice(0, 8)}`;
    const id = randomUUID();
    await post(`/reward-points/customer/${customer}/addPoints`, { id, points: 5 }).expect(201);
    const before = await head();
    const conflict = await post(`/reward-points/customer/${customer}/addPoints`, { id, points: 6 }).expect(409);
    expect(conflict.body).toMatchObject({ status: 409, type: 'idempotency_key_reused', moreInfo: '', details: [expect.objectContaining({ field: null })] });
    // a redemption may not reuse an addition's id either
    await post(`/reward-points/customer/${customer}/redeemPoints`, { id, points: 1 }).expect(409);
    expect(await head()).toBe(before);
    expect((await get(`/reward-points/customer/${customer}`).expect(200)).body).toBe(5);
  });

  it('POST customer opens the account (again: nothing), DELETE closes it (no longer listed, no more points), POST opens it again at 0', async () => {
    const customer = `C${randomUUID().slice(0, 8)}`;
    const notFound = await get(`/reward-points/customer/${customer}/summary`).expect(404);
    expect(notFound.body).toMatchObject({ status: 404, type: 'resource_not_found', message: expect.stringContaining(customer) });
    expect((await get(`/reward-points/customer/${customer}`).expect(200)).body).toBe(0);

    // the seed's body
    const opened = await post(`/reward-points/customer/${customer}?siteCode=main`, { customerId: customer }).expect(200);
    expect(opened.text).toBe('');
    expect((await get(`/reward-points/customer/${customer}/summary`).expect(200)).body).toEqual({
      customerId: customer,
      activePoints: 0,
      summary: { addedPointsList: [], redeemedPointsList: [] },
    });
    const afterOpen = await head();
    await post(`/reward-points/customer/${customer}`, {}).expect(200);
    // a bodiless request, as a client that sends nothing does
    await engine.http().post(`/reward-points/customer/${customer}`).set(auth()).expect(200);
    expect(await head()).toBe(afterOpen);
    await post(`/reward-points/customer/${customer}`, { customerId: 'someone-else' }).expect(400);

    await post(`/reward-points/customer/${customer}/addPoints`, { points: 40 }).expect(201);
    const deleted = await engine.http().delete(`/reward-points/customer/${customer}`).set(auth()).expect(200);
    expect(deleted.text).toBe('');
    await get(`/reward-points/customer/${customer}/summary`).expect(404);
    expect((await get(`/reward-points/customer/${customer}`).expect(200)).body).toBe(0);
    const listed = await get('/reward-points/summaryBatch?siteCode=main&pageSize=500').expect(200);
    expect(listed.body.map((entry: { customerId: string }) => entry.customerId)).not.toContain(customer);
    const closedBefore = await head();
    const refused = await post(`/reward-points/customer/${customer}/addPoints`, { points: 1 }).expect(409);
    expect(refused.body).toMatchObject({ status: 409, type: 'account_closed' });
    await engine.http().delete(`/reward-points/customer/${customer}`).set(auth()).expect(404);
    expect(await head()).toBe(closedBefore);

    await post(`/reward-points/customer/${customer}`, { customerId: customer }).expect(200);
    expect((await get(`/reward-points/customer/${customer}/summary`).expect(200)).body).toEqual({
      customerId: customer,
      activePoints: 0,
      summary: { addedPointsList: [], redeemedPointsList: [] },
    });
    await post(`/reward-points/customer/${customer}/addPoints`, { points: 7 }).expect(201);
    const reopened = await get(`/reward-points/customer/${customer}/summary`).expect(200);
    expect(reopened.body.summary.addedPointsList).toEqual([expect.objectContaining({ points: 7, allPointsAfterCreation: 7 })]);
    expect((await get('/reward-points/summaryBatch?siteCode=main&pageSize=500').expect(200)).body).toContainEqual(expect.objectContaining({ customerId: customer, activePoints: 7 }));
  });

  it("POST customer with Emporix's startPoints credits them when it opens the account, not when it is open already", async () => {
    const customer = `C${randomUUID().slice(0, 8)}`;
    const startPoints = { id: randomUUID(), 'reference-id': '123456', description: 'points added', points: 20, validUntil: '2029-08-24T14:15:22Z' };
    await post(`/reward-points/customer/${customer}`, { customerId: customer, startPoints }).expect(200);
    await post(`/reward-points/customer/${customer}`, { customerId: customer, startPoints: { ...startPoints, id: randomUUID() } }).expect(200);
    const { body } = await get(`/reward-points/customer/${customer}/summary`).expect(200);
    expect(body.activePoints).toBe(20);
    expect(body.summary.addedPointsList).toEqual([expect.objectContaining({ id: startPoints.id, 'reference-id': '123456', points: 20 })]);
    const invalid = await post(`/reward-points/customer/C${randomUUID().slice(0, 8)}`, { startPoints: { points: 1.5 } }).expect(400);
    expect(invalid.body.details).toEqual([expect.objectContaining({ field: 'startPoints.points' })]);
  });

  it('summaryBatch pages through every open account of the tenant with pageSize and the next pageToken', async () => {
    const clients = engine.app.get(ClientService);
    const tenant = `pages-${randomUUID().slice(0, 8)}`;
    await clients.createTenant(tenant);
    await clients.addStore(tenant, 'main', 'EUR');
    await clients.addStore(tenant, 'outlet', 'EUR');
    const client = await clients.createClient(tenant, ['points:read', 'points:write']);
    const token = (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).expect(200)).body.access_token as string;
    const as = { Authorization: `Bearer ${token}` };
    for (const [site, customer, points] of [['main', 'c1', 1], ['main', 'c2', 2], ['main', 'c3', 3], ['outlet', 'c1', 4]] as const) {
      await engine.http().post(`/reward-points/customer/${customer}/addPoints?siteCode=${site}`).set(as).send({ points }).expect(201);
    }
    const seen: Array<[string, string, number]> = [];
    let path: string | undefined = '/reward-points/summaryBatch?pageSize=3';
    let pages = 0;
    while (path) {
      const page = await engine.http().get(path).set(as).expect(200);
      pages += 1;
      for (const entry of page.body) seen.push([entry.siteCode, entry.customerId, entry.activePoints]);
      const link = page.headers.link as string | undefined;
      path = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
      if (path) expect(path).toContain(`pageToken=${page.headers['x-next-page-token']}`);
    }
    expect(pages).toBe(2);
    expect(seen).toEqual([
      ['main', 'c1', 1],
      ['main', 'c2', 2],
      ['main', 'c3', 3],
      ['outlet', 'c1', 4],
    ]);
    const outlet = await engine.http().get('/reward-points/summaryBatch?siteCode=outlet').set(as).expect(200);
    expect(outlet.body.map((entry: { customerId: string }) => entry.customerId)).toEqual(['c1']);
    expect(outlet.headers.link).toBeUndefined();
    // the default tenant's customers are not this tenant's
    const mine = await get('/reward-points/summaryBatch?pageSize=500').expect(200);
    expect(mine.body.some((entry: { customerId: string }) => ['c1', 'c2', 'c3'].includes(entry.customerId))).toBe(false);
    const badToken = await engine.http().get('/reward-points/summaryBatch?pageToken=nonsense').set(as).expect(400);
    expect(badToken.body.details).toEqual([expect.objectContaining({ field: 'pageToken' })]);
    await engine.http().get('/reward-points/summaryBatch?pageSize=0').set(as).expect(400);
    await engine.http().get('/reward-points/summaryBatch?pageSize=501').set(as).expect(400);
  });
});
