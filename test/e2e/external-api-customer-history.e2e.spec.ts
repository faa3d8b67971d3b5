import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { ClientService } from '@app/auth';
import { CUSTOMER_ACCESS, CustomerAccessRule, REQUIRED_SCOPES } from '@app/auth/http/access-rule';
import { ManualClock } from '@app/ledger';
import { startTestEngine, TEST_CLIENT_ID, TestEngine } from '../support/engine';

/** Every GET route a customer token may call (customer access `allow` or `only`), read from Nest's route metadata. */
function customerReadableRoutes(engine: TestEngine): Array<{ path: string; customerParam: string }> {
  const routes: Array<{ path: string; customerParam: string }> = [];
  for (const module of engine.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name] as object;
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.GET) continue;
        if (!(Reflect.getMetadata(REQUIRED_SCOPES, handler) ?? Reflect.getMetadata(REQUIRED_SCOPES, controller))) continue;
        const access = (Reflect.getMetadata(CUSTOMER_ACCESS, handler) ?? Reflect.getMetadata(CUSTOMER_ACCESS, controller)) as CustomerAccessRule | undefined;
        if (!access || access.mode === 'deny') continue;
        const path = `/${[base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')].filter(Boolean).join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
        routes.push({ path, customerParam: access.customerParam });
      }
    }
  }
  return routes;
}

describe("External API reasons in the customer's own history", () => {
  const clock = new ManualClock('2026-06-01T12:00:00.000Z');
  let engine: TestEngine;
  let basic: { apiKey: string; apiSecret: string };
  const internal = `INTERNAL-${randomUUID()}`;

  const change = (body: object) => engine.http().post('/external-api/v1/customers/change-points').auth(basic.apiKey, basic.apiSecret).send(body);

  beforeAll(async () => {
    engine = await startTestEngine({ clock });
    basic = await engine.app.get(ClientService).createApiKey(TEST_CLIENT_ID);
  });
  afterAll(() => engine.close());

  it('the customer sees the customer-facing reason (tags stripped) on each transfer, or the default; never the internal Reason', async () => {
    const tag = randomUUID().slice(0, 8);
    const registered = await engine.http().post('/api/DEFAULT/customers').set('Authorization', `Bearer ${engine.token}`).send({ email: `eva-${tag}@example.com`, firstName: 'Eva' }).expect(201);
    const customerId = registered.body.customerId as string;

    await change({ CustomerId: customerId, Amount: 30, OperationType: 0, Reason: `${internal} goodwill`, ChangeKey: randomUUID(), CustomerFacingReason: '<script>steal()</script><b>Sorry</b> for the delay' }).expect(200);
    clock.advance(60_000);
    await change({ Email: `eva-${tag}@example.com`, Amount: -10, OperationType: 1, Reason: `${internal} chargeback`, ChangeKey: randomUUID(), CustomerFacingReason: 'Order 42 returned' }).expect(200);
    clock.advance(60_000);
    await change({ CustomerId: customerId, Amount: 5, OperationType: 0, Reason: `${internal} bonus`, ChangeKey: randomUUID() }).expect(200);

    const customerToken = (await engine.http().post(`/api/DEFAULT/customers/${customerId}/token`).set('Authorization', `Bearer ${engine.token}`).send({})).body.access_token as string;
    const own = await engine.http().get('/api/DEFAULT/customer/points/transfer').set('Authorization', `Bearer ${customerToken}`).expect(200);
    expect(own.body.transfers.map((t: Record<string, unknown>) => [t.type, t.value, t.customerReason])).toEqual([
      ['adding', 30, 'steal()Sorry for the delay'],
      ['spending', 10, 'Order 42 returned'],
      ['adding', 5, 'Points added'],
    ]);
    expect(own.text).not.toContain(internal);
    expect(own.text).not.toMatch(/<script|<b>/);

    // every route a customer token may read, not just the listing
    const routes = customerReadableRoutes(engine);
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/api/:storeCode/customer/points/transfer', '/api/:storeCode/customers/:customerId/points']));
    for (const route of routes) {
      const path = route.path.replace(':storeCode', 'DEFAULT').replace(`:${route.customerParam}`, customerId);
      const response = await engine.http().get(path).set('Authorization', `Bearer ${customerToken}`);
      expect([path, response.status]).toEqual([path, 200]);
      expect([path, response.text.includes(internal)]).toEqual([path, false]);
    }
  });
});
