import { randomUUID } from 'node:crypto';
import { ClientService, Scope } from '@app/auth';
import { startTestEngine, TestEngine } from '../support/engine';

/** Emporix routes: which store `siteCode` names, in which tenant, who may call them, and the error bodies they get. */
describe('Emporix reward points: sites, tenants and auth', () => {
  let engine: TestEngine;
  let acmeToken: string;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const tokenFor = async (clientId: string, clientSecret: string) =>
    (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).expect(200)).body.access_token as string;
  const clientToken = async (tenant: string, scopes: Scope[]) => {
    const client = await engine.app.get(ClientService).createClient(tenant, scopes);
    return tokenFor(client.clientId, client.clientSecret);
  };

  beforeAll(async () => {
    engine = await startTestEngine();
    const clients = engine.app.get(ClientService);
    await clients.addStore('default', 'main', 'EUR');
    await clients.createTenant('acme');
    await clients.addStore('acme', 'main', 'EUR');
    acmeToken = await clientToken('acme', ['points:read', 'points:write']);
  });
  afterAll(() => engine.close());

  it("two tenants each have a site main: the same customer id holds separate points, and another tenant's site is a 404", async () => {
    const customer = `C${randomUUID().slice(0, 8)}`;
    await engine.http().post(`/reward-points/customer/${customer}/addPoints`).set(bearer(engine.token)).send({ points: 10 }).expect(201);
    await engine.http().post(`/reward-points/customer/${customer}/addPoints?siteCode=main`).set(bearer(acmeToken)).send({ points: 3 }).expect(201);
    expect((await engine.http().get(`/reward-points/customer/${customer}`).set(bearer(engine.token)).expect(200)).body).toBe(10);
    expect((await engine.http().get(`/reward-points/customer/${customer}?siteCode=main`).set(bearer(acmeToken)).expect(200)).body).toBe(3);

    const head = await engine.infrastructure.eventStore.headPosition();
    // DEFAULT is the default tenant's store, not acme's
    const foreign = await engine.http().post(`/reward-points/customer/${customer}/addPoints?siteCode=DEFAULT`).set(bearer(acmeToken)).send({ points: 1 }).expect(404);
    expect(foreign.body).toEqual({
      status: 404,
      type: 'resource_not_found',
      message: 'store "DEFAULT" not found',
      moreInfo: '',
      details: [{ field: null, type: 'resource_not_found', message: 'store "DEFAULT" not found', moreInfo: '' }],
    });
    await engine.http().get(`/reward-points/customer/${customer}/summary?siteCode=DEFAULT`).set(bearer(acmeToken)).expect(404);
    await engine.http().get('/reward-points/summaryBatch?siteCode=DEFAULT').set(bearer(acmeToken)).expect(404);
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);
  });

  it('siteCode names any store of the tenant: points added through Emporix are the same ledger Open Loyalty reads', async () => {
    const customer = randomUUID();
    await engine.http().post(`/reward-points/customer/${customer}/addPoints?siteCode=DEFAULT`).set(bearer(engine.token)).send({ points: 25 }).expect(201);
    const summary = await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(bearer(engine.token)).expect(200);
    expect(summary.body).toMatchObject({ customerId: customer, active: 25, earned: 25 });
    // and nothing of it in site main
    expect((await engine.http().get(`/reward-points/customer/${customer}`).set(bearer(engine.token)).expect(200)).body).toBe(0);
  });

  it('no token is a 401 in the gateway shape, a missing scope and a customer token are 403 in the Emporix shape, and nothing changes', async () => {
    const customer = randomUUID();
    // a customer token is minted only for a customer the store knows
    await engine.http().post('/api/DEFAULT/customers').set(bearer(engine.token)).send({ customerId: customer }).expect(201);
    const head = await engine.infrastructure.eventStore.headPosition();
    const anonymous = await engine.http().post(`/reward-points/customer/${customer}/addPoints`).send({ points: 1 }).expect(401);
    expect(anonymous.body).toEqual({ fault: { faultstring: expect.any(String), detail: { errorcode: 'oauth.v2.InvalidAccessToken' } } });
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);

    const readOnly = await clientToken('default', ['points:read']);
    const missing = await engine.http().post(`/reward-points/customer/${customer}/redeemPoints`).set(bearer(readOnly)).send({ points: 1 }).expect(403);
    expect(missing.body).toEqual({ code: 403, status: 'Forbidden', message: 'this route needs scope "points:write"', details: ['this route needs scope "points:write"'] });
    await engine.http().get('/reward-points/summaryBatch').set(bearer(readOnly)).expect(200);

    // only employees: a customer token is refused even for its own account
    const customerToken = (await engine.http().post(`/api/DEFAULT/customers/${customer}/token`).set(bearer(engine.token)).send({}).expect((r) => expect([200, 201]).toContain(r.status))).body.access_token as string;
    for (const path of [`/reward-points/customer/${customer}?siteCode=DEFAULT`, `/reward-points/customer/${customer}/summary?siteCode=DEFAULT`, '/reward-points/summaryBatch?siteCode=DEFAULT']) {
      const refused = await engine.http().get(path).set(bearer(customerToken)).expect(403);
      expect(refused.body).toMatchObject({ code: 403, status: 'Forbidden' });
    }
    await engine.http().post(`/reward-points/customer/${customer}/addPoints?siteCode=DEFAULT`).set(bearer(customerToken)).send({ points: 1 }).expect(403);
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);
  });

  it("an Emporix client gets its service token where Emporix serves it, /oauth/token with a form body", async () => {
    const client = await engine.app.get(ClientService).createClient('acme', ['points:read']);
    const issued = await engine
      .http()
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret })
      .expect(200);
    expect(issued.body).toMatchObject({ access_token: expect.any(String), token_type: expect.stringMatching(/^bearer$/i), expires_in: expect.any(Number) });
    await engine.http().get('/reward-points/summaryBatch').set(bearer(issued.body.access_token)).expect(200);
  });

  it('an unknown path below /reward-points is a 404 in the Emporix shape', async () => {
    const response = await engine.http().get('/reward-points/customers').set(bearer(engine.token)).expect(404);
    expect(response.body).toMatchObject({ status: 404, type: 'resource_not_found', moreInfo: '', details: [expect.objectContaining({ field: null })] });
  });

  it('OpenAPI documents every route under the tag "Emporix: reward points", summaryBatch with its paging', async () => {
    const { body } = await engine.http().get('/docs/json').expect(200);
    const operations: Array<[string, string]> = [
      ['/reward-points/summaryBatch', 'get'],
      ['/reward-points/customer/{customerId}', 'get'],
      ['/reward-points/customer/{customerId}', 'post'],
      ['/reward-points/customer/{customerId}', 'delete'],
      ['/reward-points/customer/{customerId}/summary', 'get'],
      ['/reward-points/customer/{customerId}/addPoints', 'post'],
      ['/reward-points/customer/{customerId}/redeemPoints', 'post'],
    ];
    for (const [path, method] of operations) expect([path, method, body.paths[path]?.[method]?.tags]).toEqual([path, method, ['Emporix: reward points']]);
    const batch = body.paths['/reward-points/summaryBatch'].get;
    expect(batch.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(expect.arrayContaining(['siteCode', 'pageSize', 'pageToken']));
    expect(body.paths['/reward-points/customer/{customerId}/addPoints'].post.responses).toHaveProperty('201');
  });
});
