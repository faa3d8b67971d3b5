import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { ClientService, SCOPES, Scope } from '@app/auth';
import { CUSTOMER_ACCESS, CustomerAccessRule, DEFAULT_CUSTOMER_ACCESS, REQUIRED_SCOPES } from '@app/auth/http/access-rule';
import { ManualClock } from '@app/ledger';
import { startTestEngine, TestEngine } from '../support/engine';

interface Route {
  method: string;
  path: string;
  scopes: Scope[];
  customers: CustomerAccessRule;
}

/** Every protected route the app serves, read from Nest's own route metadata: a new route is covered by itself. */
function protectedRoutes(engine: TestEngine): Route[] {
  const routes: Route[] = [];
  for (const module of engine.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name] as object;
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const scopes = (Reflect.getMetadata(REQUIRED_SCOPES, handler) ?? Reflect.getMetadata(REQUIRED_SCOPES, controller)) as Scope[] | undefined;
        if (!scopes) continue;
        const customers = (Reflect.getMetadata(CUSTOMER_ACCESS, handler) ?? Reflect.getMetadata(CUSTOMER_ACCESS, controller) ?? DEFAULT_CUSTOMER_ACCESS) as CustomerAccessRule;
        const path = `/${[base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')].filter(Boolean).join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
        routes.push({ method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number], path, scopes, customers });
      }
    }
  }
  return routes;
}

/**
 * A missing scope is a 403, except under a dialect whose own document answers it otherwise; there the
 * answer must still name the scope the route needs.
 */
const MISSING_SCOPE_STATUS: ReadonlyArray<[prefix: string, status: number]> = [['/admin/v2/customers/loyalty/', 401]];
const missingScopeStatus = (route: Route): number => MISSING_SCOPE_STATUS.find(([prefix]) => route.path.startsWith(prefix))?.[1] ?? 403;
/** Open Loyalty's body says it in `message`; envelope dialects (Salla) in `error.message` */
const messageOf = (body: { message?: string; error?: { message?: string } }): string | undefined => body.message ?? body.error?.message;

describe('every protected route refuses callers it must refuse, and nothing changes', () => {
  const clock = new ManualClock('2026-06-01T12:00:00.000Z');
  let engine: TestEngine;
  let routes: Route[];
  const victim: string = randomUUID();
  let victimTransfer: string;

  const fill = (route: Route, customerId = victim) =>
    route.path
      .replace(':storeCode', 'DEFAULT')
      .replace(':customerId', customerId)
      .replace(':transfer', victimTransfer)
      .replace(/:[A-Za-z]+/g, 'x');

  const call = (route: Route, token: string | undefined, customerId?: string) => {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const request = engine.http()[method](fill(route, customerId));
    if (token) request.set('Authorization', `Bearer ${token}`);
    return method === 'get' ? request : request.send({});
  };

  const tokenFor = async (clientId: string, clientSecret: string) =>
    (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).expect(200)).body.access_token as string;

  beforeAll(async () => {
    engine = await startTestEngine({ clock });
    routes = protectedRoutes(engine);
    const added = await engine.http().post('/api/DEFAULT/points/transfer/add').set('Authorization', `Bearer ${engine.token}`).send({ transfer: { customer: victim, points: 50 } }).expect(200);
    victimTransfer = added.body.pointsTransferId;
  });
  afterAll(() => engine.close());

  it('finds the routes it walks', () => {
    const paths = routes.map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual(expect.arrayContaining(['POST /api/:storeCode/points/transfer/add', 'GET /api/:storeCode/customers/:customerId/points', 'POST /admin/v2/customers/loyalty/points']));
    expect(routes.length).toBeGreaterThanOrEqual(10);
  });

  it('no token, a tampered token, another tenant, a missing scope, a customer token for someone else', async () => {
    const head = await engine.infrastructure.eventStore.headPosition();
    const clients = engine.app.get(ClientService);

    await clients.createTenant('other-tenant');
    await clients.addStore('other-tenant', `OTHER_${randomUUID().slice(0, 8)}`, 'EUR');
    const stranger = await clients.createClient('other-tenant', [...SCOPES]);
    const strangerToken = await tokenFor(stranger.clientId, stranger.clientSecret);

    const [header, payload, signature] = engine.token.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), tenant: 'other-tenant' })).toString('base64url')}.${signature}`;

    const impersonator = randomUUID();
    const customerToken = (await engine.http().post(`/api/DEFAULT/customers/${impersonator}/token`).set('Authorization', `Bearer ${engine.token}`).send({}).expect((r) => expect([200, 201]).toContain(r.status))).body.access_token as string;
    expect(customerToken).toEqual(expect.any(String));

    const limited = new Map<Scope, string>();
    for (const route of routes) {
      const label = `${route.method} ${route.path}`;
      expect([label, (await call(route, undefined)).status]).toEqual([label, 401]);
      expect([label, (await call(route, tampered)).status]).toEqual([label, 401]);
      expect([label, (await call(route, strangerToken)).status]).toEqual([label, 404]);

      const needed = route.scopes[0];
      if (!limited.has(needed)) {
        const client = await clients.createClient('default', SCOPES.filter((s) => s !== needed));
        limited.set(needed, await tokenFor(client.clientId, client.clientSecret));
      }
      const missing = await call(route, limited.get(needed));
      expect([label, missing.status]).toEqual([label, missingScopeStatus(route)]);
      // a customer-only route refuses every client token for its role before scopes matter
      if (route.customers.mode !== 'only') expect(messageOf(missing.body)).toContain(needed);

      if (route.customers.mode === 'deny') {
        expect([label, (await call(route, customerToken)).status]).toEqual([label, 403]);
      } else if (route.path.includes(`:${route.customers.customerParam}`)) {
        expect([label, (await call(route, customerToken, victim)).status]).toEqual([label, 404]);
      }
    }
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);
  });

  it('an expired token is refused everywhere', async () => {
    const head = await engine.infrastructure.eventStore.headPosition();
    const old = engine.token;
    clock.advance(3 * 60 * 60 * 1000);
    for (const route of routes) {
      const label = `${route.method} ${route.path}`;
      expect([label, (await call(route, old)).status]).toEqual([label, 401]);
    }
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);
  });
});
