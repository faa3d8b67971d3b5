import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { ClientService, SCOPES, Scope } from '@app/auth';
import { CUSTOMER_ACCESS, CustomerAccessRule, DEFAULT_CUSTOMER_ACCESS, PUBLIC_ROUTE, REQUIRED_SCOPES, STORE_SOURCE, StoreSource } from '@app/auth/http/access-rule';
import { ManualClock } from '@app/ledger';
import { startTestEngine, TestEngine } from '../support/engine';

interface Route {
  method: string;
  path: string;
  scopes: Scope[];
  customers: CustomerAccessRule;
  /** the query parameter naming the route's store, when it is named there (Emporix `siteCode`) */
  storeQuery?: string;
  /** the body field naming the route's store by an alias, when it is named there (Prems `salesChannelId`) */
  storeBody?: string;
}

/**
 * Every route the app serves, read from Nest's own route metadata, so a new route is covered by itself:
 * the protected ones (@RequireScopes), and those that declare themselves public (@PublicRoute) with why.
 * A route with neither is an unguarded route nobody decided on; `unguarded` names it and the walk fails.
 */
function routesOf(engine: TestEngine): { routes: Route[]; unguarded: string[]; publicRoutes: string[] } {
  const routes: Route[] = [];
  const unguarded: string[] = [];
  const publicRoutes: string[] = [];
  for (const module of engine.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name] as object;
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const scopes = (Reflect.getMetadata(REQUIRED_SCOPES, handler) ?? Reflect.getMetadata(REQUIRED_SCOPES, controller)) as Scope[] | undefined;
        const path = `/${[base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')].filter(Boolean).join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        if (!scopes) {
          const isPublic = Reflect.getMetadata(PUBLIC_ROUTE, handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, controller);
          (isPublic ? publicRoutes : unguarded).push(`${method} ${path}`);
          continue;
        }
        const customers = (Reflect.getMetadata(CUSTOMER_ACCESS, handler) ?? Reflect.getMetadata(CUSTOMER_ACCESS, controller) ?? DEFAULT_CUSTOMER_ACCESS) as CustomerAccessRule;
        const store = (Reflect.getMetadata(STORE_SOURCE, handler) ?? Reflect.getMetadata(STORE_SOURCE, controller)) as StoreSource | undefined;
        routes.push({ method, path, scopes, customers, ...(store?.from === 'query' ? { storeQuery: store.name } : {}), ...(store?.from === 'body' ? { storeBody: store.name } : {}) });
      }
    }
  }
  return { routes, unguarded, publicRoutes };
}

/**
 * Protected routes whose request names no store: they answer about the caller's own tenant, or about
 * the engine as a whole. Another tenant's client is answered (200), and the answer names nothing of the
 * victim's tenant; every other route must be a 404 for it. A route is listed here on purpose, with why.
 */
const TENANT_WIDE = new Map([
  ['GET /api/ops/stores', "the caller's own tenant's stores"],
  ['GET /api/ops/projections', 'engine-wide projection positions and lag: no tenant, store or customer in it'],
  ['GET /api/events/schemas', 'the public event catalogue: the same for everyone'],
  ['GET /api/events', "the caller's own tenant's events"],
  ['GET /api/events/stream', "the caller's own tenant's events as a stream (never ends: the subscriber suites check it)"],
  ['POST /api/webhooks', "creates an endpoint in the caller's own tenant"],
  ['GET /api/webhooks', "the caller's own tenant's endpoints"],
]);
/** streams answer forever: the walk cannot read their whole body */
const STREAMS = new Set(['GET /api/events/stream']);

/**
 * A missing scope is a 403, except under a dialect whose own document answers it otherwise; there the
 * answer must still name the scope the route needs.
 */
const MISSING_SCOPE_STATUS: ReadonlyArray<[prefix: string, status: number]> = [['/admin/v2/customers/loyalty/', 401]];
const missingScopeStatus = (route: Route): number => MISSING_SCOPE_STATUS.find(([prefix]) => route.path.startsWith(prefix))?.[1] ?? 403;

describe('every protected route refuses callers it must refuse, and nothing changes', () => {
  const clock = new ManualClock('2026-06-01T12:00:00.000Z');
  let engine: TestEngine;
  let routes: Route[];
  let unguarded: string[];
  let publicRoutes: string[];
  const victim: string = randomUUID();
  /** the victim store's alias, as a body-named route names it */
  const victimAlias = `alias-${randomUUID()}`;
  let victimTransfer: string;

  const fill = (route: Route, customerId = victim) =>
    route.path
      .replace(':storeCode', 'DEFAULT')
      .replace(':customerId', customerId)
      .replace(':transfer', victimTransfer)
      .replace(/:[A-Za-z]+/g, 'x') + (route.storeQuery ? `?${route.storeQuery}=DEFAULT` : '');

  const call = (route: Route, token: string | undefined, customerId?: string) => {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const request = engine.http()[method](fill(route, customerId));
    if (token) request.set('Authorization', `Bearer ${token}`);
    return method === 'get' ? request : request.send(route.storeBody ? { [route.storeBody]: victimAlias } : {});
  };

  const tokenFor = async (clientId: string, clientSecret: string) =>
    (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).expect(200)).body.access_token as string;

  beforeAll(async () => {
    engine = await startTestEngine({ clock });
    ({ routes, unguarded, publicRoutes } = routesOf(engine));
    await engine.app.get(ClientService).addStoreAlias('default', 'DEFAULT', victimAlias);
    const added = await engine.http().post('/api/DEFAULT/points/transfer/add').set('Authorization', `Bearer ${engine.token}`).send({ transfer: { customer: victim, points: 50 } }).expect(200);
    victimTransfer = added.body.pointsTransferId;
  });
  afterAll(() => engine.close());

  it('every route either needs scopes or says why it is public: none is left open by mistake', () => {
    expect(unguarded).toEqual([]);
    expect(publicRoutes).toContain('POST /api/oauth/token,oauth/token');
  });

  it('finds the routes it walks', () => {
    const paths = routes.map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual(expect.arrayContaining([
        'POST /api/:storeCode/points/transfer/add',
        'GET /api/:storeCode/customers/:customerId/points',
        'GET /reward-points/summaryBatch',
        'POST /reward-points/customer/:customerId/addPoints',
        'POST /api/v2/prems-bonus-system/create-bonus-booking',
        'POST /api/_action/prems/create-bonus-booking-by-customer-id',
        'POST /admin/v2/customers/loyalty/points',
        'POST /external-api/v1/customers/change-points',
      ]));
    expect(routes.length).toBeGreaterThanOrEqual(10);
    expect(paths).toEqual(expect.arrayContaining([...TENANT_WIDE.keys()]));
  });

  it('no token, a tampered token, another tenant, a missing scope, a customer token for someone else', async () => {
    // customer tokens are minted only for known customers: register the impersonated one before the head is taken
    const impersonator = randomUUID();
    await engine.http().post('/api/DEFAULT/customers').set('Authorization', `Bearer ${engine.token}`).send({ customerId: impersonator }).expect(201);
    const head = await engine.infrastructure.eventStore.headPosition();
    const clients = engine.app.get(ClientService);

    await clients.createTenant('other-tenant');
    await clients.addStore('other-tenant', `OTHER_${randomUUID().slice(0, 8)}`, 'EUR');
    const stranger = await clients.createClient('other-tenant', [...SCOPES]);
    const strangerToken = await tokenFor(stranger.clientId, stranger.clientSecret);

    const [header, payload, signature] = engine.token.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), tenant: 'other-tenant' })).toString('base64url')}.${signature}`;

    const customerToken = (await engine.http().post(`/api/DEFAULT/customers/${impersonator}/token`).set('Authorization', `Bearer ${engine.token}`).send({}).expect((r) => expect([200, 201]).toContain(r.status))).body.access_token as string;
    expect(customerToken).toEqual(expect.any(String));

    const limited = new Map<Scope, string>();
    const tenantWide: string[] = [];
    for (const route of routes) {
      const label = `${route.method} ${route.path}`;
      expect([label, (await call(route, undefined)).status]).toEqual([label, 401]);
      expect([label, (await call(route, tampered)).status]).toEqual([label, 401]);
      if (TENANT_WIDE.has(label)) {
        tenantWide.push(label);
        // answered about the stranger's own tenant: nothing of ours in it
        if (!STREAMS.has(label)) {
          const stranger = await call(route, strangerToken);
          expect([label, stranger.status === 404 || stranger.status >= 500]).toEqual([label, false]);
          for (const victimName of ['DEFAULT', victim, victimAlias, victimTransfer]) expect([label, JSON.stringify(stranger.body)]).toEqual([label, expect.not.stringContaining(victimName)]);
        }
      } else {
        expect([label, (await call(route, strangerToken)).status]).toEqual([label, 404]);
      }

      const needed = route.scopes[0];
      if (!limited.has(needed)) {
        const client = await clients.createClient('default', SCOPES.filter((s) => s !== needed));
        limited.set(needed, await tokenFor(client.clientId, client.clientSecret));
      }
      const missing = await call(route, limited.get(needed));
      expect([label, missing.status]).toEqual([label, missingScopeStatus(route)]);
      // a customer-only route refuses every client token for its role before scopes matter
      // each dialect names the missing scope in its own error body (Open Loyalty `message`, External API `Error`)
      if (route.customers.mode !== 'only') expect([label, JSON.stringify(missing.body)]).toEqual([label, expect.stringContaining(needed)]);

      if (route.customers.mode === 'deny') {
        expect([label, (await call(route, customerToken)).status]).toEqual([label, 403]);
      } else if (route.path.includes(`:${route.customers.customerParam}`)) {
        expect([label, (await call(route, customerToken, victim)).status]).toEqual([label, 404]);
      }
    }
    expect(tenantWide.sort()).toEqual([...TENANT_WIDE.keys()].sort());
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
