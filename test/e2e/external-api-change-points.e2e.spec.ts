import { randomUUID } from 'node:crypto';
import { ClientService, SCOPES } from '@app/auth';
import { ManualClock } from '@app/ledger';
import { startTestEngine, TEST_CLIENT_ID, TestEngine } from '../support/engine';

const ROUTE = '/external-api/v1/customers/change-points';

/** The seed's envelope keys, in every answer. */
const ENVELOPE_KEYS = ['Code', 'CodeName', 'Error', 'ErrorCode', 'IsError', 'IsWarning', 'Result', 'Severity'];

describe('External API: change points (HTTP Basic, default store, ChangeKey, envelope)', () => {
  const clock = new ManualClock('2026-06-01T12:00:00.000Z');
  let engine: TestEngine;
  let apiKey: string;
  let apiSecret: string;

  const change = (body: object) => engine.http().post(ROUTE).auth(apiKey, apiSecret).send(body);
  const bearer = () => ({ Authorization: `Bearer ${engine.token}` });
  const balanceOf = async (customerId: string): Promise<number> =>
    (await engine.http().get(`/api/DEFAULT/customers/${customerId}/points`).set(bearer()).expect(200)).body.active as number;
  const transfersOf = async (customerId: string) =>
    (await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${customerId}&perPage=50`).set(bearer()).expect(200)).body as { transfers: Array<Record<string, unknown>>; total: number };
  const headPosition = () => engine.infrastructure.eventStore.headPosition();
  const add = (customerId: string, amount: number, extra: object = {}) =>
    change({ CustomerId: customerId, Amount: amount, OperationType: 0, Reason: 'purchase', ChangeKey: randomUUID(), ...extra });

  beforeAll(async () => {
    engine = await startTestEngine({ clock });
    ({ apiKey, apiSecret } = await engine.app.get(ClientService).createApiKey(TEST_CLIENT_ID));
  });
  afterAll(() => engine.close());

  it('adds points with OperationType 0 and a positive Amount: 200, Code 00 Success, the change and the balance in Result', async () => {
    const customerId = randomUUID();
    const response = await change({ CustomerId: customerId, Amount: 10, OperationType: 0, Reason: 'order 123', ChangeKey: `ADD-${customerId}-10-123` }).expect(200);
    expect(Object.keys(response.body).sort()).toEqual(ENVELOPE_KEYS);
    expect(response.body).toMatchObject({ Code: '00', CodeName: 'Success', Severity: 0, IsWarning: false, IsError: false, Error: null, ErrorCode: null });
    expect(response.body.Result).toEqual({
      ChangeKey: `ADD-${customerId}-10-123`,
      CustomerId: customerId,
      OperationType: 0,
      Amount: 10,
      Balance: 10,
      PointsTransferId: expect.any(String),
      CustomerFacingReason: 'Points added',
    });
    expect(await balanceOf(customerId)).toBe(10);
  });

  it('removes points with OperationType 1 and a negative Amount, exactly (hundredths), from the same ledger', async () => {
    const customerId = randomUUID();
    await add(customerId, 10.1).expect(200);
    clock.advance(1000);
    const removed = await change({ CustomerId: customerId, Amount: -0.2, OperationType: 1, Reason: 'return', ChangeKey: randomUUID() }).expect(200);
    expect(removed.body).toMatchObject({ Code: '00', CodeName: 'Success', Result: { Amount: -0.2, Balance: 9.9, OperationType: 1, CustomerFacingReason: 'Points removed' } });
    expect(await balanceOf(customerId)).toBe(9.9);
    const listed = await transfersOf(customerId);
    expect(listed.transfers.map((t) => [t.type, t.value])).toEqual([
      ['adding', 10.1],
      ['spending', 0.2],
    ]);
  });

  it('a removal that leaves the balance at 0 is a warning: 200, Code 01 BalanceIsZero, IsWarning true, IsError false', async () => {
    const customerId = randomUUID();
    await add(customerId, 5).expect(200);
    const response = await change({ CustomerId: customerId, Amount: -5, OperationType: 1, Reason: 'all used', ChangeKey: randomUUID() }).expect(200);
    expect(response.body).toMatchObject({ Code: '01', CodeName: 'BalanceIsZero', Severity: 1, IsWarning: true, IsError: false, Error: null, Result: { Balance: 0, Amount: -5 } });
    expect(await balanceOf(customerId)).toBe(0);
  });

  it('Amount must agree with OperationType, must not be 0 and has at most 2 decimals: 400 envelope naming Amount, nothing stored', async () => {
    const customerId = randomUUID();
    await add(customerId, 20).expect(200);
    const head = await headPosition();
    const cases: Array<[object, string]> = [
      [{ Amount: -10, OperationType: 0 }, 'must be positive when OperationType is 0 (add)'],
      [{ Amount: 10, OperationType: 1 }, 'must be negative when OperationType is 1 (remove)'],
      [{ Amount: 0, OperationType: 0 }, 'must not be 0: positive adds points, negative removes them'],
      [{ Amount: '-0.00', OperationType: 1 }, 'must not be 0: positive adds points, negative removes them'],
      [{ Amount: 1.005, OperationType: 0 }, 'may have at most 2 decimal places'],
      [{ Amount: 'abc', OperationType: 0 }, 'must be a number'],
      [{ Amount: '1e3', OperationType: 0 }, 'must be a plain decimal number'],
      [{ Amount: 10, OperationType: 2 }, 'must be 0 (add) or 1 (remove)'],
    ];
    for (const [fields, message] of cases) {
      const response = await change({ CustomerId: customerId, Reason: 'x', ChangeKey: randomUUID(), ...fields }).expect(400);
      expect(Object.keys(response.body).sort()).toEqual([...ENVELOPE_KEYS, 'Errors'].sort());
      expect(response.body).toMatchObject({ Code: '02', CodeName: 'ValidationFailed', Severity: 2, IsWarning: false, IsError: true, Result: null, ErrorCode: 400 });
      const field = 'OperationType' in fields && (fields as { OperationType: number }).OperationType === 2 ? 'OperationType' : 'Amount';
      expect([fields, response.body.Errors]).toEqual([fields, [{ Field: field, Message: message }]]);
      expect(response.body.Error).toContain(message);
    }
    expect(await headPosition()).toBe(head);
    expect(await balanceOf(customerId)).toBe(20);
  });

  it('CustomerId or Email, Reason and ChangeKey are required; each missing field is named', async () => {
    const head = await headPosition();
    const response = await change({ Amount: 1, OperationType: 0 }).expect(400);
    expect(response.body.CodeName).toBe('ValidationFailed');
    expect(response.body.Errors).toEqual(
      expect.arrayContaining([
        { Field: 'CustomerId', Message: 'is required when Email is not given' },
        { Field: 'Reason', Message: 'is required' },
        { Field: 'ChangeKey', Message: 'is required' },
      ]),
    );
    const blank = await change({ CustomerId: randomUUID(), Amount: 1, OperationType: 0, Reason: '  ', ChangeKey: ' ' }).expect(400);
    expect(blank.body.Errors).toEqual(expect.arrayContaining([{ Field: 'Reason', Message: 'must not be blank' }, { Field: 'ChangeKey', Message: 'must not be blank' }]));
    expect(await headPosition()).toBe(head);
  });

  it('finds the customer by Email (a registered customer of the default store); an unknown e-mail is 404 CustomerNotFound', async () => {
    const tag = randomUUID().slice(0, 8);
    const registered = await engine.http().post('/api/DEFAULT/customers').set(bearer()).send({ email: `ola-${tag}@example.com`, firstName: 'Ola' }).expect(201);
    const customerId = registered.body.customerId as string;
    const byEmail = await change({ Email: `OLA-${tag}@example.com`, Amount: 7, OperationType: 0, Reason: 'welcome', ChangeKey: randomUUID() }).expect(200);
    expect(byEmail.body.Result).toMatchObject({ CustomerId: customerId, Balance: 7 });

    const both = await change({ CustomerId: customerId, Email: `ola-${tag}@example.com`, Amount: 1, OperationType: 0, Reason: 'x', ChangeKey: randomUUID() }).expect(200);
    expect(both.body.Result).toMatchObject({ CustomerId: customerId, Balance: 8 });
    const head = await headPosition();
    const disagree = await change({ CustomerId: randomUUID(), Email: `ola-${tag}@example.com`, Amount: 1, OperationType: 0, Reason: 'x', ChangeKey: randomUUID() }).expect(400);
    expect(disagree.body).toMatchObject({ CodeName: 'ValidationFailed', Errors: [{ Field: 'Email', Message: 'names another customer than CustomerId' }] });

    const unknown = await change({ Email: `nobody-${tag}@example.com`, Amount: 1, OperationType: 0, Reason: 'x', ChangeKey: randomUUID() }).expect(404);
    expect(unknown.body).toMatchObject({ Code: '03', CodeName: 'CustomerNotFound', Severity: 2, IsError: true, Result: null, ErrorCode: 404 });
    expect(unknown.body.Error).toContain(`nobody-${tag}@example.com`);
    const malformed = await change({ Email: 'not-an-email', Amount: 1, OperationType: 0, Reason: 'x', ChangeKey: randomUUID() }).expect(400);
    expect(malformed.body.Errors).toEqual([{ Field: 'Email', Message: 'must be an e-mail address' }]);
    expect(await balanceOf(customerId)).toBe(8);
    // the disagreeing request may have claimed its key and let it go: no points event was stored
    const listed = await transfersOf(customerId);
    expect(listed.total).toBe(2);
    expect(await headPosition()).toBeGreaterThanOrEqual(head);
  });

  it('removing more than the balance is 422 InsufficientPoints; removing from a customer without an account is 404 AccountNotFound', async () => {
    const customerId = randomUUID();
    await add(customerId, 3).expect(200);
    const response = await change({ CustomerId: customerId, Amount: -3.01, OperationType: 1, Reason: 'x', ChangeKey: randomUUID() }).expect(422);
    expect(response.body).toMatchObject({ Code: '05', CodeName: 'InsufficientPoints', Severity: 2, IsError: true, IsWarning: false, Result: null, ErrorCode: 422 });
    expect(await balanceOf(customerId)).toBe(3);
    const nobody = await change({ CustomerId: randomUUID(), Amount: -1, OperationType: 1, Reason: 'x', ChangeKey: randomUUID() }).expect(404);
    expect(nobody.body).toMatchObject({ Code: '04', CodeName: 'AccountNotFound', IsError: true });
  });

  it('a reused ChangeKey changes nothing: 409 ChangeKeyAlreadyUsed with the first answer as Result, whatever the second body says', async () => {
    const customerId = randomUUID();
    const changeKey = `ADD-${customerId}-10-123`;
    const first = await change({ CustomerId: customerId, Amount: 10, OperationType: 0, Reason: 'order 123', ChangeKey: changeKey }).expect(200);
    const head = await headPosition();
    for (const body of [
      { CustomerId: customerId, Amount: 10, OperationType: 0, Reason: 'order 123', ChangeKey: changeKey },
      { CustomerId: customerId, Amount: 99, OperationType: 0, Reason: 'another', ChangeKey: changeKey },
      { CustomerId: customerId, Amount: -10, OperationType: 1, Reason: 'undo', ChangeKey: changeKey },
    ]) {
      const again = await change(body).expect(409);
      expect(again.body).toMatchObject({ Code: '06', CodeName: 'ChangeKeyAlreadyUsed', Severity: 2, IsWarning: false, IsError: true, ErrorCode: 409 });
      expect(again.body.Error).toContain(`ChangeKey "${changeKey}" was already used`);
      expect(again.body.Result).toEqual(first.body);
    }
    expect(await headPosition()).toBe(head);
    expect(await balanceOf(customerId)).toBe(10);
  });

  it('a ChangeKey whose first request was refused stays used: the repeat carries the refusal', async () => {
    const customerId = randomUUID();
    await add(customerId, 1).expect(200);
    const changeKey = randomUUID();
    const refused = await change({ CustomerId: customerId, Amount: -2, OperationType: 1, Reason: 'x', ChangeKey: changeKey }).expect(422);
    const again = await change({ CustomerId: customerId, Amount: -1, OperationType: 1, Reason: 'x', ChangeKey: changeKey }).expect(409);
    expect(again.body).toMatchObject({ CodeName: 'ChangeKeyAlreadyUsed', Result: { Code: '05', CodeName: 'InsufficientPoints', IsError: true, Error: refused.body.Error } });
    expect(await balanceOf(customerId)).toBe(1);
  });

  it('20 concurrent requests with one ChangeKey: exactly one change, every other answer the key-used envelope with that change', async () => {
    const customerId = randomUUID();
    const changeKey = `CONCURRENT-${customerId}`;
    const head = await headPosition();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => change({ CustomerId: customerId, Amount: 12.34, OperationType: 0, Reason: 'race', ChangeKey: changeKey })),
    );
    const changed = answers.filter((a) => a.status === 200);
    expect(changed).toHaveLength(1);
    expect(changed[0].body).toMatchObject({ CodeName: 'Success', Result: { Amount: 12.34, Balance: 12.34 } });
    const repeats = answers.filter((a) => a.status !== 200);
    expect(repeats).toHaveLength(19);
    for (const repeat of repeats) {
      expect(repeat.status).toBe(409);
      expect(repeat.body).toMatchObject({ Code: '06', CodeName: 'ChangeKeyAlreadyUsed', IsError: true });
      expect(repeat.body.Result).toEqual(changed[0].body);
    }
    expect(await balanceOf(customerId)).toBe(12.34);
    expect((await transfersOf(customerId)).total).toBe(1);
    const stored = await engine.infrastructure.eventStore.readAll({ after: head });
    expect(stored.filter((e) => e.type === 'PointsAdded')).toHaveLength(1);
  });

  it('CustomerFacingReason: tags stripped (a <script> too), at most 255 characters after that, blank or missing means the default', async () => {
    const customerId = randomUUID();
    const scripted = await add(customerId, 1, { CustomerFacingReason: '<script>alert("x")</script><b>Thanks</b> for <i>order</i> 123' }).expect(200);
    expect(scripted.body.Result.CustomerFacingReason).toBe('alert("x")Thanks for order 123');
    const plain = await add(customerId, 1, { CustomerFacingReason: 'a < b & c' }).expect(200);
    expect(plain.body.Result.CustomerFacingReason).toBe('a < b & c');
    for (const blank of ['   ', '', null, '<p> </p>']) {
      const response = await add(customerId, 1, { CustomerFacingReason: blank }).expect(200);
      expect([blank, response.body.Result.CustomerFacingReason]).toEqual([blank, 'Points added']);
    }
    // 255 characters once the tags are gone is fine; 256 is not
    await add(customerId, 1, { CustomerFacingReason: `<em>${'x'.repeat(255)}</em>` }).expect(200);
    const head = await headPosition();
    const long = await add(customerId, 1, { CustomerFacingReason: 'x'.repeat(256) }).expect(400);
    expect(long.body.Errors).toEqual([{ Field: 'CustomerFacingReason', Message: 'must be at most 255 characters once HTML tags are stripped' }]);
    expect(await headPosition()).toBe(head);

    const rows = (await transfersOf(customerId)).transfers;
    // one instant (the clock stands still): the listing orders them by transfer id
    expect(rows.map((row) => row.customerReason).sort()).toEqual(['Points added', 'Points added', 'Points added', 'Points added', 'a < b & c', 'alert("x")Thanks for order 123', 'x'.repeat(255)]);
    expect(JSON.stringify(rows)).not.toMatch(/<script|<b>|<em>/);
  });

  it('auth: no credentials, a wrong secret, a bearer client without points:write, a customer token: 401/403 envelopes, nothing stored', async () => {
    const body = { CustomerId: randomUUID(), Amount: 1, OperationType: 0, Reason: 'x', ChangeKey: randomUUID() };
    // a customer token is minted only for a customer the store knows
    await engine.http().post('/api/DEFAULT/customers').set(bearer()).send({ customerId: body.CustomerId }).expect(201);
    const head = await headPosition();
    const none = await engine.http().post(ROUTE).send(body).expect(401);
    expect(none.body).toMatchObject({ Code: '08', CodeName: 'Unauthorized', Severity: 2, IsError: true, Result: null, ErrorCode: 401 });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await engine.http().post(ROUTE).auth(apiKey, 'wrong-secret').send(body).expect(401);
    expect(wrong.body).toMatchObject({ CodeName: 'Unauthorized' });
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);

    const clients = engine.app.get(ClientService);
    const reader = await clients.createClient('default', SCOPES.filter((s) => s !== 'points:write'), { defaultStore: 'DEFAULT' });
    const readerKey = await clients.createApiKey(reader.clientId);
    const forbidden = await engine.http().post(ROUTE).auth(readerKey.apiKey, readerKey.apiSecret).send(body).expect(403);
    expect(forbidden.body).toMatchObject({ Code: '09', CodeName: 'Forbidden', IsError: true });
    expect(forbidden.body.Error).toContain('points:write');

    const customerToken = (await engine.http().post(`/api/DEFAULT/customers/${body.CustomerId}/token`).set(bearer()).send({})).body.access_token as string;
    const customer = await engine.http().post(ROUTE).set('Authorization', `Bearer ${customerToken}`).send(body).expect(403);
    expect(customer.body).toMatchObject({ CodeName: 'Forbidden', IsError: true });
    expect(await headPosition()).toBe(head);
  });

  it("the store is the client's default store; a client without one gets 404 NotFound", async () => {
    const clients = engine.app.get(ClientService);
    await clients.addStore('default', 'SECOND', 'EUR');
    const second = await clients.createClient('default', [...SCOPES], { defaultStore: 'SECOND' });
    const secondKey = await clients.createApiKey(second.clientId);
    const customerId = randomUUID();
    await engine.http().post(ROUTE).auth(secondKey.apiKey, secondKey.apiSecret).send({ CustomerId: customerId, Amount: 4, OperationType: 0, Reason: 'x', ChangeKey: randomUUID() }).expect(200);
    expect((await engine.http().get(`/api/SECOND/customers/${customerId}/points`).set(bearer()).expect(200)).body.active).toBe(4);
    await engine.http().get(`/api/DEFAULT/customers/${customerId}/points`).set(bearer()).expect(404);

    // a bearer token of a client with a default store works the same
    const viaBearer = await engine.http().post(ROUTE).set(bearer()).send({ CustomerId: customerId, Amount: 1, OperationType: 0, Reason: 'x', ChangeKey: randomUUID() }).expect(200);
    expect(viaBearer.body.Result).toMatchObject({ CustomerId: customerId, Balance: 1 });

    const storeless = await clients.createClient('default', [...SCOPES]);
    const storelessKey = await clients.createApiKey(storeless.clientId);
    const head = await headPosition();
    const response = await engine.http().post(ROUTE).auth(storelessKey.apiKey, storelessKey.apiSecret).send({ CustomerId: customerId, Amount: 4, OperationType: 0, Reason: 'x', ChangeKey: randomUUID() }).expect(404);
    expect(response.body).toMatchObject({ Code: '10', CodeName: 'NotFound', IsError: true });
    expect(await headPosition()).toBe(head);
  });

  it('refusals before routing are envelopes too: malformed JSON (400) and an unknown path (404)', async () => {
    const malformed = await engine.http().post(ROUTE).auth(apiKey, apiSecret).set('Content-Type', 'application/json').send('{"Amount": ').expect(400);
    expect(malformed.body).toMatchObject({ Code: '02', CodeName: 'ValidationFailed', IsError: true, Result: null });
    for (const body of ['null', '[]', '"text"', '42']) {
      const odd = await engine.http().post(ROUTE).auth(apiKey, apiSecret).set('Content-Type', 'application/json').send(body);
      expect([body, odd.status, odd.body.CodeName]).toEqual([body, 400, 'ValidationFailed']);
    }
    const empty = await engine.http().post(ROUTE).auth(apiKey, apiSecret);
    expect([empty.status, empty.body.CodeName]).toEqual([400, 'ValidationFailed']);
    const wrongType = await engine.http().post(ROUTE).auth(apiKey, apiSecret).set('Content-Type', 'text/csv').send('a,b');
    expect([wrongType.status, wrongType.body.CodeName]).toEqual([415, 'RequestRejected']);
    const unknown = await engine.http().post('/external-api/v1/customers/no-such-thing').auth(apiKey, apiSecret).send({}).expect(404);
    expect(Object.keys(unknown.body).sort()).toEqual(ENVELOPE_KEYS);
    expect(unknown.body).toMatchObject({ Code: '10', CodeName: 'NotFound', IsError: true });
  });

  it('is documented in the OpenAPI document with its envelope and code table', async () => {
    const document = (await engine.http().get('/docs/json').expect(200)).body;
    const operation = document.paths[ROUTE]?.post;
    expect(operation.tags).toEqual(['External API: change points']);
    expect(operation.description).toContain('06 ChangeKeyAlreadyUsed (HTTP 409)');
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['Envelope', 'ChangePointsRequest', 'ChangePointsResult']));
  });
});
