import { startTestEngine, TestEngine } from '../support/engine';

type Operation = { parameters?: { name: string; in: string; required?: boolean; schema?: { pattern?: string } }[]; responses: Record<string, { content?: Record<string, { schema?: unknown }> }>; requestBody?: { required?: boolean } };
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>>; required?: string[] }> } };

describe('the OpenAPI document states what the server enforces (issue 15, D6)', () => {
  let engine: TestEngine;
  let document: Document;

  beforeAll(async () => {
    engine = await startTestEngine();
    document = (await engine.http().get('/docs/json').expect(200)).body as Document;
  });
  afterAll(() => engine.close());

  const operations = (): [string, string, Operation][] =>
    Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => [path, method, operation] as [string, string, Operation]));

  it('declares every path parameter, required and with its pattern', () => {
    for (const [path, method, operation] of operations()) {
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
        const declared = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
        expect({ path, method, name, declared: Boolean(declared), required: declared?.required, pattern: Boolean(declared?.schema?.pattern) }).toEqual({ path, method, name, declared: true, required: true, pattern: true });
      }
    }
  });

  it("documents each operation's refusals with its dialect's error body", () => {
    for (const [path, method, operation] of operations()) {
      for (const status of ['400', '401', '404', '429']) expect({ path, method, status, schema: Boolean(operation.responses[status]?.content?.['application/json']?.schema) }).toEqual({ path, method, status, schema: true });
      // Emporix's open-account body is the one a client may leave out
      const optional = path === '/reward-points/customer/{customerId}' && method === 'post';
      if (operation.requestBody) expect({ path, method, required: operation.requestBody.required }).toEqual({ path, method, required: !optional });
    }
    const errorOf = (path: string, method: string, status: string) => document.paths[path][method].responses[status].content!['application/json'].schema as { required?: string[] };
    expect(errorOf('/api/{storeCode}/points/transfer/add', 'post', '422').required).toEqual(['statusCode', 'error', 'message']);
    expect(errorOf('/reward-points/customer/{customerId}/addPoints', 'post', '400').required).toEqual(['status', 'type', 'message', 'details']);
    expect(document.paths['/reward-points/customer/{customerId}/addPoints'].post.responses['422']).toBeUndefined();
    expect(errorOf('/api/v2/prems-bonus-system/create-bonus-booking', 'post', '400').required).toEqual(['errors']);
  });

  it('links an answer carrying an id to the operations that take it, for client generators and stateful fuzzing', () => {
    const added = document.paths['/api/{storeCode}/points/transfer/add'].post.responses['200'] as { links?: Record<string, { parameters: Record<string, string> }> };
    expect(added.links?.PointsTransfersController_cancel?.parameters).toEqual({ storeCode: '$request.path.storeCode', transfer: '$response.body#/pointsTransferId' });
    const registered = document.paths['/api/{storeCode}/customers'].post.responses['201'] as { links?: Record<string, { parameters: Record<string, string> }> };
    expect(registered.links?.CustomersController_get?.parameters).toEqual({ storeCode: '$request.path.storeCode', customerId: '$response.body#/customerId' });
  });

  it('carries the DTO constraints: limits, patterns, string customer fields, required fields', () => {
    const add = document.components.schemas.AddTransferFields;
    expect(add.properties.pendingDays).toMatchObject({ type: 'integer', minimum: 0, maximum: 36500 });
    expect(add.properties.points).toMatchObject({ type: 'number', minimum: 0, exclusiveMinimum: true });
    expect(add.properties.comment).toMatchObject({ maxLength: 255 });
    expect(add.properties.customer.pattern).toBeDefined();
    expect(add.required).toEqual(expect.arrayContaining(['customer', 'points']));
    for (const field of ['customerNumber', 'email', 'phone', 'firstName', 'lastName', 'loyaltyCardNumber']) {
      expect(document.components.schemas.RegisterCustomerRequest.properties[field]).toMatchObject({ type: 'string', nullable: true });
    }
  });

  it('states what the fuzz found the document got wrong (regressions of its findings)', async () => {
    const schemas = document.components.schemas;
    // nullable date, not an object
    expect(schemas.PointsSummaryResponse.properties.lastChangeAt).toMatchObject({ type: 'string', nullable: true });
    // decimals credited through another dialect show in Emporix's amounts
    expect(schemas.AddedPointsOut.properties.points).toMatchObject({ type: 'number' });
    // Prems refuses 0 points; the admin p2p route requires its sender; @IsOptional lets null through
    expect(schemas.BonusBookingByIdRequest.properties.points).toMatchObject({ not: { enum: [0] } });
    expect(schemas.AdminP2PFields.required).toEqual(expect.arrayContaining(['sender', 'receiver', 'points']));
    expect(schemas.BonusBookingByIdRequest.properties.salesChannelId).toMatchObject({ nullable: true });
    // the e-mail pattern the document gives is the one the server checks
    expect(schemas.RegisterCustomerRequest.properties.email.pattern).toBeDefined();
    const settings = document.paths['/api/{storeCode}/settings'].put as unknown as { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } };
    expect(settings.requestBody.content['application/json'].schema.properties.pendingDays).toMatchObject({ maximum: 36500 });

    const auth = { authorization: `Bearer ${engine.token}` };
    // a __proto__ key is dropped as any undeclared field is, not a refusal of the whole body
    const added = await engine
      .http()
      .post('/api/DEFAULT/points/transfer/add')
      .set(auth)
      .set('content-type', 'application/json')
      .send('{"__proto__": {"polluted": true}, "transfer": {"customer": "proto-1", "points": 2}}')
      .expect(200);
    expect(added.body.pointsTransferId).toBeDefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const noSender = await engine.http().post('/api/DEFAULT/admin/p2p-points-transfer').set(auth).send({ transfer: { receiver: 'proto-1', points: 1 } }).expect(400);
    expect(noSender.body.errors).toEqual([{ field: 'transfer[sender]', message: 'is required' }]);
    // a null in an optional field means left out: no null comment reaches the ledger, nor Emporix's description
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth).send({ transfer: { customer: 'null-comment', points: 1, comment: null } }).expect(200);
    const summary = await engine.http().get('/reward-points/customer/null-comment/summary?siteCode=DEFAULT').set(auth).expect(200);
    expect(summary.body.summary.addedPointsList[0].description).toBeUndefined();
    const badEmail = await engine.http().post('/api/DEFAULT/customers').set(auth).send({ email: 'no-at-sign' }).expect(400);
    expect(badEmail.body.errors).toEqual([{ field: 'email', message: 'must be an e-mail address' }]);
  });

  it('refuses a left-out required body with 400 and registers nobody', async () => {
    const auth = { authorization: `Bearer ${engine.token}` };
    const refused = await engine.http().post('/api/DEFAULT/customers').set(auth).expect(400);
    expect(refused.body.errors).toEqual([{ field: 'body', message: expect.stringContaining('required') }]);
    // a body with required fields left out names them, as an empty one would
    const add = await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth).expect(400);
    expect(add.body.errors).toEqual([{ field: 'transfer', message: 'is required' }]);
    await engine.http().post('/api/DEFAULT/customers').set(auth).send({}).expect(201);
  });

  it('answers a method a known path does not serve with 405 and Allow, in the dialect of the path', async () => {
    const auth = { authorization: `Bearer ${engine.token}` };
    const trace = await engine.http().trace('/api/DEFAULT/points/transfer/add').set(auth).expect(405);
    expect(trace.headers.allow).toBe('POST');
    expect(trace.body).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
    const put = await engine.http().put('/reward-points/customer/c-1/addPoints').set(auth).send({ points: 1 }).expect(405);
    expect(put.headers.allow).toBe('POST');
    expect(put.body).toMatchObject({ status: 405, type: 'method_not_allowed' });
    const prems = await engine.http().delete('/api/v2/prems-bonus-system/create-bonus-booking').set(auth).expect(405);
    expect(prems.body.errors[0]).toMatchObject({ status: '405' });
    const get = await engine.http().delete('/api/DEFAULT/customers/c-1').set(auth).expect(405);
    expect(get.headers.allow).toBe('GET, HEAD, PATCH');
    await engine.http().post('/api/DEFAULT/no-such-thing').set(auth).expect(404);
  });
});
