import { randomUUID } from 'node:crypto';
import { startTestEngine, TestEngine } from '../support/engine';

/** Customers (register, read, change, look up, uniqueness) and the 4xx bodies of every Open Loyalty read route. */
describe('Open Loyalty customers and request errors', () => {
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });
  const register = (body: object) => engine.http().post('/api/DEFAULT/customers').set(auth()).send(body);

  beforeAll(async () => {
    engine = await startTestEngine();
  });
  afterAll(() => engine.close());

  it('registers a customer with a generated id, reads it back and finds it by each unique field', async () => {
    const tag = randomUUID().slice(0, 8);
    const created = await engine
      .http()
      .post('/api/DEFAULT/customers')
      .set(auth())
      .type('form')
      .send(`email=Ola-${tag}@Example.com&phone=%2B4860000${tag.replace(/\D/g, '').slice(0, 4)}&firstName=Ola&customerNumber=N-${tag}&loyaltyCardNumber=LC-${tag}`)
      .expect(201);
    const { customerId } = created.body;
    expect(customerId).toMatch(/^[0-9a-f-]{36}$/);
    const profile = await engine.http().get(`/api/DEFAULT/customers/${customerId}`).set(auth()).expect(200);
    expect(profile.body).toMatchObject({ customerId, storeCode: 'DEFAULT', email: `Ola-${tag}@Example.com`, firstName: 'Ola', customerNumber: `N-${tag}` });
    expect(profile.body).not.toHaveProperty('lastName');
    for (const query of [`email=ola-${tag}@example.com`, `customerNumber=N-${tag}`, `loyaltyCardNumber=LC-${tag}`, `phone=${encodeURIComponent(profile.body.phone)}`]) {
      const found = await engine.http().get(`/api/DEFAULT/customers?${query}`).set(auth()).expect(200);
      expect(found.body).toEqual({ customers: [expect.objectContaining({ customerId })], total: 1 });
    }
    expect((await engine.http().get('/api/DEFAULT/customers?email=missing@example.com').set(auth()).expect(200)).body).toEqual({ customers: [], total: 0 });
  });

  it('refuses a duplicate id, e-mail (any case), phone, customer number or card in the store with 409 naming the field', async () => {
    const id = randomUUID();
    const tag = id.slice(0, 8);
    await register({ customerId: id, email: `dup-${tag}@example.com`, phone: '+48500600700', customerNumber: `D-${tag}`, loyaltyCardNumber: `DC-${tag}` }).expect(201);
    const attempts: Array<[object, string]> = [
      [{ customerId: id }, 'customerId'],
      [{ email: `DUP-${tag}@EXAMPLE.com` }, 'email'],
      [{ phone: '+48500600700' }, 'phone'],
      [{ customerNumber: `D-${tag}` }, 'customerNumber'],
      [{ loyaltyCardNumber: `DC-${tag}` }, 'loyaltyCardNumber'],
    ];
    for (const [body, field] of attempts) {
      const refused = await register(body).expect(409);
      expect(refused.body).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'customer_exists', errors: [{ field, message: expect.any(String) }] });
    }
    // a refused registration leaves no claim behind: its other values stay free
    const freeNumber = `F-${tag}`;
    await register({ email: `dup-${tag}@example.com`, customerNumber: freeNumber }).expect(409);
    await register({ customerNumber: freeNumber }).expect(201);
  });

  it('concurrent registrations of one e-mail: exactly one wins', async () => {
    const email = `race-${randomUUID()}@example.com`;
    const responses = await Promise.all(Array.from({ length: 10 }, () => register({ email })));
    expect(responses.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
  });

  it('a changed name or e-mail shows on the customer existing transfer rows; a released e-mail can be taken again', async () => {
    const id = randomUUID();
    const oldEmail = `before-${id}@example.com`;
    await register({ customerId: id, firstName: 'Ann', lastName: 'Lee', email: oldEmail }).expect(201);
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer: id, points: 5 } }).expect(200);
    const newEmail = `after-${id}@example.com`;
    const changed = await engine.http().patch(`/api/DEFAULT/customers/${id}`).set(auth()).send({ firstName: 'Anna', email: newEmail, lastName: null }).expect(200);
    expect(changed.body).toMatchObject({ customerId: id, firstName: 'Anna', email: newEmail });
    expect(changed.body).not.toHaveProperty('lastName');
    const rows = await engine.http().get(`/api/DEFAULT/points/transfer?customerFirstName=anna&customerEmail=${newEmail.toUpperCase()}`).set(auth()).expect(200);
    expect(rows.body.total).toBe(1);
    expect(rows.body.transfers[0]).toMatchObject({ customerId: id, customerFirstName: 'Anna', customerEmail: newEmail });
    expect(rows.body.transfers[0]).not.toHaveProperty('customerLastName');
    expect((await engine.http().get(`/api/DEFAULT/points/transfer?customerEmail=${oldEmail}`).set(auth()).expect(200)).body.total).toBe(0);
    await register({ email: oldEmail }).expect(201);
    const other = randomUUID();
    await register({ customerId: other }).expect(201);
    const taken = await engine.http().patch(`/api/DEFAULT/customers/${other}`).set(auth()).send({ email: newEmail }).expect(409);
    expect(taken.body.errors).toEqual([{ field: 'email', message: expect.any(String) }]);
  });

  it('unknown customers are 404 on read and change', async () => {
    const missing = randomUUID();
    expect((await engine.http().get(`/api/DEFAULT/customers/${missing}`).set(auth()).expect(404)).body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    await engine.http().patch(`/api/DEFAULT/customers/${missing}`).set(auth()).send({ firstName: 'X' }).expect(404);
  });

  const badRequests: Array<[string, string, string[]]> = [
    ['listing: unknown state', '/api/DEFAULT/points/transfer?state[]=active&state[]=lost', ['state']],
    ['listing: unknown type', '/api/DEFAULT/points/transfer?type=gift', ['type']],
    ['listing: unknown sort column', '/api/DEFAULT/points/transfer?sort=password', ['sort']],
    ['listing: bad direction', '/api/DEFAULT/points/transfer?direction=up', ['direction']],
    ['listing: page 0 and perPage 501', '/api/DEFAULT/points/transfer?page=0&perPage=501', ['page', 'perPage']],
    ['listing: page not a number', '/api/DEFAULT/points/transfer?page=two', ['page']],
    ['listing: beyond the 10,000-result window', '/api/DEFAULT/points/transfer?page=21&perPage=500', ['page']],
    ['customer listing: unknown state', '/api/DEFAULT/customer/points/transfer?state=lost', ['state']],
    ['histogram: bad interval and point type', '/api/DEFAULT/points/transfers?interval=week&pointType=gold', ['interval', 'pointType']],
    ['histogram: lastDays 0, futureDays -1', '/api/DEFAULT/points/transfers?lastDays=0&futureDays=-1', ['lastDays', 'futureDays']],
    ['histogram: lastDays too large', '/api/DEFAULT/points/transfers?lastDays=100000', ['lastDays']],
    ['customer lookup: no field', '/api/DEFAULT/customers', ['email', 'phone', 'customerNumber', 'loyaltyCardNumber']],
    ['customer lookup: two fields', '/api/DEFAULT/customers?email=a@b.c&phone=1', ['email', 'phone']],
  ];
  it.each(badRequests)('%s: 400 with a message per field', async (_name, path, fields) => {
    const token = path.includes('/customer/') ? await customerToken(randomUUID()) : engine.token;
    const response = await engine.http().get(path).set({ Authorization: `Bearer ${token}` }).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
    for (const error of response.body.errors) expect(error.message).toEqual(expect.any(String));
  });

  it('bad customer bodies: 400 with a message per field', async () => {
    const response = await register({ customerId: 'a:b', email: 'not-an-email', phone: 'call me', firstName: 'x'.repeat(200), loyaltyCardNumber: 42 }).expect(400);
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['customerId', 'email', 'firstName', 'loyaltyCardNumber', 'phone']);
  });

  it('the listing accepts direction in any case and a single state', async () => {
    const id = randomUUID();
    for (const points of [3, 1, 2]) await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer: id, points } }).expect(200);
    const desc = await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${id}&sort=value&direction=desc&state=active`).set(auth()).expect(200);
    expect(desc.body.transfers.map((t: { value: number }) => t.value)).toEqual([3, 2, 1]);
    const asc = await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${id}&sort=value&direction=Asc&page=2&perPage=2`).set(auth()).expect(200);
    expect(asc.body).toMatchObject({ total: 3, transfers: [expect.objectContaining({ value: 3 })] });
  });

  it('every route is in the OpenAPI document with its response schema', async () => {
    const doc = (await engine.http().get('/docs/json').expect(200)).body;
    const routes: Array<[string, string]> = [
      ['/api/{storeCode}/points/transfer', 'get'],
      ['/api/{storeCode}/customer/points/transfer', 'get'],
      ['/api/{storeCode}/points/transfers', 'get'],
      ['/api/{storeCode}/points/transfer/import', 'post'],
      ['/api/{storeCode}/customers', 'post'],
      ['/api/{storeCode}/customers', 'get'],
      ['/api/{storeCode}/customers/{customerId}', 'get'],
      ['/api/{storeCode}/customers/{customerId}', 'patch'],
      ['/api/{storeCode}/customers/{customerId}/points', 'get'],
    ];
    for (const [path, method] of routes) {
      const operation = doc.paths[path]?.[method];
      expect({ path, method, documented: Boolean(operation) }).toEqual({ path, method, documented: true });
      const success = operation.responses['200'] ?? operation.responses['201'];
      expect(success.content['application/json'].schema).toBeDefined();
    }
    expect(Object.keys(doc.paths['/api/{storeCode}/points/transfer/import'].post.requestBody.content)).toEqual(['multipart/form-data']);
    const listingParams = doc.paths['/api/{storeCode}/points/transfer'].get.parameters.map((p: { name: string }) => p.name);
    expect(listingParams).toEqual(expect.arrayContaining(['customerFirstName', 'customerEmail', 'state[]', 'type', 'page', 'perPage', 'sort', 'direction']));
  });

  it('the SQLite views index every listing filter and sort column and every customer lookup, after tenant and store', async () => {
    const db = engine.infrastructure.sqlite!;
    const leading = (table: string): string[][] =>
      (db.prepare(`PRAGMA index_list(${JSON.stringify(table)})`).all() as Array<{ name: string }>).map((index) =>
        (db.prepare(`PRAGMA index_info(${JSON.stringify(index.name)})`).all() as Array<{ seqno: number; name: string }>).sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
      );
    const indexed = (table: string, column: string) => leading(table).some((columns) => columns[0] === 'tenant' && columns[1] === 'storeCode' && columns[2] === column);
    const listingFilters = ['firstNameLc', 'lastNameLc', 'emailLc', 'phone', 'customerId', 'state', 'type'];
    const { TRANSFER_SORT_FIELDS } = await import('@app/read-models');
    // transferId order within a store is the primary key's: id = tenant:storeCode:transferId
    const byPrimaryKey = (table: string, column: string) => column === 'transferId' && leading(table).some((columns) => columns.length === 1 && columns[0] === 'id');
    for (const column of [...listingFilters, ...Object.values(TRANSFER_SORT_FIELDS)])
      expect({ column, indexed: indexed('transfers', column) || byPrimaryKey('transfers', column) }).toEqual({ column, indexed: true });
    for (const column of ['customerId', 'customerNumber', 'emailLc', 'phone', 'loyaltyCardNumber']) expect({ column, indexed: indexed('customers', column) }).toEqual({ column, indexed: true });
    // lookups in the whole tenant (requests that name no store); by customerId that is the primary key
    const tenantWide = (column: string) => leading('customers').some((columns) => columns[0] === 'tenant' && columns[1] === column);
    for (const column of ['customerNumber', 'emailLc', 'phone', 'loyaltyCardNumber']) expect({ column, tenantWide: tenantWide(column) }).toEqual({ column, tenantWide: true });
  });

  async function customerToken(customerId: string): Promise<string> {
    // tokens are minted only for customers the store knows
    await register({ customerId }).expect(201);
    return (await engine.http().post(`/api/DEFAULT/customers/${customerId}/token`).set(auth()).send({}).expect(200)).body.access_token;
  }
});
