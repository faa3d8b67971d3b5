import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import formbody from '@fastify/formbody';
import { Controller, Get, Post } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { MongoClient } from 'mongodb';
import qs from 'qs';
import request from 'supertest';
import { ManualClock } from '@app/ledger/clock';
import { openSqlite, type SqliteDatabase } from '@app/event-store/sqlite/sqlite-database';
import {
  AuthModule,
  bootstrapAuth,
  ClientService,
  CurrentStore,
  CustomerAccess,
  MongoTenantDirectory,
  Principal,
  RequireScopes,
  resolveTokenKeys,
  SCOPES,
  signJwt,
  SqliteTenantDirectory,
  TokenService,
  type AuthModuleOptions,
  type CustomerDirectory,
  type StoreRecord,
  type TenantDirectory,
  type TokenKey,
} from '@app/auth';
import { describeWithServer, mongoUri } from '../support/servers';

/** A tiny API shaped like the real dialects: store code in the path, scopes on each route. */
@Controller('api/:storeCode')
class PointsProbeController {
  @Get('points')
  @RequireScopes('points:read')
  read(@Principal() principal: Principal, @CurrentStore() store: StoreRecord) {
    return { tenant: principal.tenant, clientId: principal.clientId, role: principal.role, via: principal.via, store: store.storeCode, storeTenant: store.tenant, currency: store.currency };
  }

  @Post('points')
  @RequireScopes('points:write')
  write(@CurrentStore() store: StoreRecord) {
    return { written: true, store: store.storeCode };
  }

  @Get('customers/:customerId/points')
  @RequireScopes('points:read')
  @CustomerAccess('allow')
  customerPoints(@Principal() principal: Principal) {
    return { role: principal.role, customerId: principal.customerId ?? null, scopes: principal.scopes };
  }
}

const keys: TokenKey[] = [{ kid: 'e2e-1', secret: 'e2e-signing-key-0123456789abcdef0123' }];

/** The customers these stores know; in the engine the customers and accounts views answer (see KnownCustomers). */
const KNOWN_CUSTOMERS = new Set(['t1:SHOP1:cust-1', 'default:DEFAULT:c-9']);
const knownCustomers: CustomerDirectory = {
  knownCustomer: async (tenant, storeCode, customerId) => KNOWN_CUSTOMERS.has(`${tenant}:${storeCode}:${customerId}`),
};

async function boot(options: Omit<AuthModuleOptions, 'customers'>): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [AuthModule.forRoot({ customers: knownCustomers, ...options })],
    controllers: [PointsProbeController],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { bodyParser: false });
  await app.register(formbody, { parser: (body: string) => qs.parse(body) });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

interface Fixture {
  full: { clientId: string; clientSecret: string };
  reader: { clientId: string; clientSecret: string };
  otherTenant: { clientId: string; clientSecret: string };
}

/** Two tenants: t1 with stores SHOP1 and SHOP1B, t2 with SHOP2. */
async function seed(directory: TenantDirectory, prefix: string): Promise<Fixture> {
  await directory.ensureSchema();
  const clients = new ClientService(directory);
  await clients.createTenant(`${prefix}t1`);
  await clients.createTenant(`${prefix}t2`);
  await clients.addStore(`${prefix}t1`, `${prefix}SHOP1`, 'EUR');
  await clients.addStore(`${prefix}t1`, `${prefix}SHOP1B`, 'EUR');
  await clients.addStore(`${prefix}t2`, `${prefix}SHOP2`, 'PLN');
  return {
    full: await clients.createClient(`${prefix}t1`, [...SCOPES]),
    reader: await clients.createClient(`${prefix}t1`, ['points:read']),
    otherTenant: await clients.createClient(`${prefix}t2`, [...SCOPES]),
  };
}

async function tokenFor(app: NestFastifyApplication, client: { clientId: string; clientSecret: string }, scope?: string): Promise<string> {
  const response = await request(app.getHttpServer())
    .post('/api/oauth/token')
    .send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, ...(scope ? { scope } : {}) })
    .expect(200);
  return (response.body as { access_token: string }).access_token;
}

describe('auth over HTTP (SQLite registry)', () => {
  let dir: string;
  let db: SqliteDatabase;
  let directory: SqliteTenantDirectory;
  let app: NestFastifyApplication;
  let fixture: Fixture;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'auth-e2e-'));
    db = openSqlite(join(dir, 'loyalty.db'));
    directory = new SqliteTenantDirectory(db);
    fixture = await seed(directory, '');
    app = await boot({ directory, tokenKeys: keys });
  });

  afterAll(async () => {
    await app?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('POST /api/oauth/token', () => {
    it('issues a bearer token for credentials in a JSON body', async () => {
      const response = await request(app.getHttpServer())
        .post('/api/oauth/token')
        .send({ grant_type: 'client_credentials', client_id: fixture.full.clientId, client_secret: fixture.full.clientSecret })
        .expect(200);
      expect(response.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: SCOPES.join(' ') });
      expect(response.headers['cache-control']).toBe('no-store');
      const header = JSON.parse(Buffer.from(response.body.access_token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'e2e-1' });
      await request(app.getHttpServer())
        .get('/api/SHOP1/points')
        .set('Authorization', `Bearer ${response.body.access_token}`)
        .expect(200, { tenant: 't1', clientId: fixture.full.clientId, role: 'client', via: 'bearer', store: 'SHOP1', storeTenant: 't1', currency: 'EUR' });
    });

    it('issues a token for credentials in a form body', async () => {
      const response = await request(app.getHttpServer())
        .post('/api/oauth/token')
        .type('form')
        .send(`grant_type=client_credentials&client_id=${fixture.reader.clientId}&client_secret=${fixture.reader.clientSecret}`)
        .expect(200);
      expect(response.body).toMatchObject({ token_type: 'Bearer', scope: 'points:read' });
    });

    it('issues a token for credentials in HTTP Basic', async () => {
      const response = await request(app.getHttpServer())
        .post('/api/oauth/token')
        .auth(fixture.reader.clientId, fixture.reader.clientSecret)
        .type('form')
        .send('grant_type=client_credentials')
        .expect(200);
      expect(response.body).toMatchObject({ token_type: 'Bearer', scope: 'points:read' });
    });

    it('a wrong secret is 401 invalid_client', async () => {
      const response = await request(app.getHttpServer())
        .post('/api/oauth/token')
        .send({ grant_type: 'client_credentials', client_id: fixture.full.clientId, client_secret: 'not-the-secret-at-all' })
        .expect(401);
      expect(response.body).toMatchObject({ error: 'invalid_client' });
    });

    it('a wrong secret over Basic is 401 invalid_client with a Basic challenge', async () => {
      const response = await request(app.getHttpServer())
        .post('/api/oauth/token')
        .auth(fixture.full.clientId, 'not-the-secret-at-all')
        .send({ grant_type: 'client_credentials' })
        .expect(401);
      expect(response.body).toMatchObject({ error: 'invalid_client' });
      expect(response.headers['www-authenticate']).toBe('Basic realm="loyalty-engine"');
    });

    it('an unknown client is answered exactly like a wrong secret', async () => {
      const response = await request(app.getHttpServer())
        .post('/api/oauth/token')
        .send({ grant_type: 'client_credentials', client_id: 'cl_nobody', client_secret: 'whatever-secret-123' })
        .expect(401);
      expect(response.body).toEqual({ error: 'invalid_client', error_description: 'unknown client or wrong secret' });
    });

    it('a grant other than client_credentials is 400 unsupported_grant_type', async () => {
      const response = await request(app.getHttpServer())
        .post('/api/oauth/token')
        .send({ grant_type: 'password', client_id: fixture.full.clientId, client_secret: fixture.full.clientSecret })
        .expect(400);
      expect(response.body).toMatchObject({ error: 'unsupported_grant_type' });
    });

    it('a missing grant_type, or credentials sent two ways at once, is 400 invalid_request', async () => {
      const missing = await request(app.getHttpServer())
        .post('/api/oauth/token')
        .send({ client_id: fixture.full.clientId, client_secret: fixture.full.clientSecret })
        .expect(400);
      expect(missing.body).toMatchObject({ error: 'invalid_request' });
      const twice = await request(app.getHttpServer())
        .post('/api/oauth/token')
        .auth(fixture.full.clientId, fixture.full.clientSecret)
        .send({ grant_type: 'client_credentials', client_id: fixture.full.clientId, client_secret: fixture.full.clientSecret })
        .expect(400);
      expect(twice.body).toMatchObject({ error: 'invalid_request' });
    });

    it('a scope the client does not hold, or does not exist, is 400 invalid_scope', async () => {
      for (const scope of ['points:write', 'points:admin']) {
        const response = await request(app.getHttpServer())
          .post('/api/oauth/token')
          .send({ grant_type: 'client_credentials', client_id: fixture.reader.clientId, client_secret: fixture.reader.clientSecret, scope })
          .expect(400);
        expect(response.body).toMatchObject({ error: 'invalid_scope' });
      }
    });

    it('a subset scope yields a token limited to that subset', async () => {
      const response = await request(app.getHttpServer())
        .post('/api/oauth/token')
        .send({ grant_type: 'client_credentials', client_id: fixture.full.clientId, client_secret: fixture.full.clientSecret, scope: 'points:read' })
        .expect(200);
      expect(response.body.scope).toBe('points:read');
      const token = response.body.access_token as string;
      await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${token}`).expect(200);
      await request(app.getHttpServer()).post('/api/SHOP1/points').set('Authorization', `Bearer ${token}`).expect(403);
    });
  });

  describe('protected routes', () => {
    it('no credentials: 401 with a Bearer challenge', async () => {
      const response = await request(app.getHttpServer()).get('/api/SHOP1/points').expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="loyalty-engine"');
    });

    it('a garbage token: 401 with error="invalid_token"', async () => {
      const response = await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', 'Bearer nonsense').expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="loyalty-engine", error="invalid_token"');
    });

    it('a tampered token (scopes widened in the payload) is 401', async () => {
      const token = await tokenFor(app, fixture.reader);
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const forged = `${header}.${b64({ ...claims, scopes: [...SCOPES] })}.${signature}`;
      await request(app.getHttpServer()).post('/api/SHOP1/points').set('Authorization', `Bearer ${forged}`).expect(401);
    });

    it('an expired token is 401', async () => {
      const clients = new ClientService(directory);
      const yesterday = new ManualClock(new Date(Date.now() - 24 * 3600_000));
      const past = new TokenService({ keys, clientTokenTtlSeconds: 3600, customerTokenTtlSeconds: 900, clock: yesterday }, clients);
      const client = await clients.verifyClient(fixture.full.clientId, fixture.full.clientSecret);
      const expired = past.issueClientToken(client!, client!.scopes).accessToken;
      await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${expired}`).expect(401);
    });

    it('an alg:none token with otherwise valid claims is 401', async () => {
      const token = await tokenFor(app, fixture.full);
      const claims = token.split('.')[1];
      const unsigned = `${b64({ alg: 'none', typ: 'JWT', kid: 'e2e-1' })}.${claims}.`;
      await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${unsigned}`).expect(401);
    });

    it('a token signed with an unknown kid, or for another audience, is 401', async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: fixture.full.clientId, tenant: 't1', role: 'client', scopes: ['points:read'], iat: now, exp: now + 600 };
      const unknownKid = signJwt({ ...claims, aud: 'loyalty-engine' }, { kid: 'stolen', secret: keys[0].secret });
      const otherAudience = signJwt({ ...claims, aud: 'somebody-else' }, keys[0]);
      const sameKeyRightAudience = signJwt({ ...claims, aud: 'loyalty-engine' }, keys[0]);
      await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${unknownKid}`).expect(401);
      await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${otherAudience}`).expect(401);
      // Control: the same claims, correctly signed, pass; so the two refusals above are for kid and audience.
      await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${sameKeyRightAudience}`).expect(200);
    });

    it('a missing scope is 403 naming the scope needed', async () => {
      const token = await tokenFor(app, fixture.reader);
      const response = await request(app.getHttpServer()).post('/api/SHOP1/points').set('Authorization', `Bearer ${token}`).expect(403);
      expect(response.body).toMatchObject({
        statusCode: 403,
        message: 'this route needs scope "points:write"',
        requiredScopes: ['points:write'],
        missingScopes: ['points:write'],
      });
    });

    it("another tenant's store is 404, indistinguishable from a store that does not exist", async () => {
      const token = await tokenFor(app, fixture.full);
      const foreign = await request(app.getHttpServer()).get('/api/SHOP2/points').set('Authorization', `Bearer ${token}`).expect(404);
      const missing = await request(app.getHttpServer()).get('/api/NOPE/points').set('Authorization', `Bearer ${token}`).expect(404);
      expect(foreign.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'store "SHOP2" not found', code: 'store_not_found' });
      expect(missing.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'store "NOPE" not found', code: 'store_not_found' });
      const ownerToken = await tokenFor(app, fixture.otherTenant);
      await request(app.getHttpServer()).get('/api/SHOP2/points').set('Authorization', `Bearer ${ownerToken}`).expect(200);
    });

    it('two tenants may each have a store main: each token reaches its own tenant\'s', async () => {
      const clients = new ClientService(directory);
      await clients.addStore('t1', 'main', 'EUR');
      await clients.addStore('t2', 'main', 'PLN');
      const probe = async (client: { clientId: string; clientSecret: string }) =>
        (await request(app.getHttpServer()).get('/api/main/points').set('Authorization', `Bearer ${await tokenFor(app, client)}`).expect(200)).body;
      expect(await probe(fixture.full)).toMatchObject({ tenant: 't1', store: 'main', storeTenant: 't1', currency: 'EUR' });
      expect(await probe(fixture.otherTenant)).toMatchObject({ tenant: 't2', store: 'main', storeTenant: 't2', currency: 'PLN' });
    });

    it('an API key over HTTP Basic acts as its client, with its scopes', async () => {
      const clients = new ClientService(directory);
      const { apiKey, apiSecret } = await clients.createApiKey(fixture.reader.clientId);
      const response = await request(app.getHttpServer()).get('/api/SHOP1/points').auth(apiKey, apiSecret).expect(200);
      expect(response.body).toMatchObject({ clientId: fixture.reader.clientId, via: 'api-key' });
      await request(app.getHttpServer()).post('/api/SHOP1/points').auth(apiKey, apiSecret).expect(403);
      const wrong = await request(app.getHttpServer()).get('/api/SHOP1/points').auth(apiKey, 'wrong-secret-value-1234').expect(401);
      expect(wrong.headers['www-authenticate']).toBe('Basic realm="loyalty-engine"');
    });

    it("a revoked client's outstanding token stops working at once", async () => {
      const clients = new ClientService(directory);
      const doomed = await clients.createClient('t1', ['points:read']);
      const token = await tokenFor(app, doomed);
      await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${token}`).expect(200);
      await clients.revokeClient(doomed.clientId);
      await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${token}`).expect(401);
      await request(app.getHttpServer())
        .post('/api/oauth/token')
        .send({ grant_type: 'client_credentials', client_id: doomed.clientId, client_secret: doomed.clientSecret })
        .expect(401);
    });
  });

  describe('customer tokens', () => {
    async function customerToken(storeCode: string, customerId: string, status: number, body: object = {}): Promise<request.Response> {
      const token = await tokenFor(app, fixture.full);
      return request(app.getHttpServer())
        .post(`/api/${storeCode}/customers/${customerId}/token`)
        .set('Authorization', `Bearer ${token}`)
        .send(body)
        .expect(status);
    }

    it('a client with customers:impersonate mints a short-lived customer token', async () => {
      const response = await customerToken('SHOP1', 'cust-1', 200);
      expect(response.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
        scope: 'points:read customers:read',
        customer_id: 'cust-1',
        store_code: 'SHOP1',
      });
    });

    it('the customer token shows that customer only', async () => {
      const token = (await customerToken('SHOP1', 'cust-1', 200)).body.access_token as string;
      const own = await request(app.getHttpServer()).get('/api/SHOP1/customers/cust-1/points').set('Authorization', `Bearer ${token}`).expect(200);
      expect(own.body).toEqual({ role: 'customer', customerId: 'cust-1', scopes: ['points:read', 'customers:read'] });
      await request(app.getHttpServer()).get('/api/SHOP1/customers/cust-2/points').set('Authorization', `Bearer ${token}`).expect(404);
    });

    it('the customer token is refused on integration routes and in other stores', async () => {
      const token = (await customerToken('SHOP1', 'cust-1', 200)).body.access_token as string;
      await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${token}`).expect(403);
      await request(app.getHttpServer()).get('/api/SHOP1B/customers/cust-1/points').set('Authorization', `Bearer ${token}`).expect(404);
      await request(app.getHttpServer())
        .post('/api/SHOP1/customers/cust-1/token')
        .set('Authorization', `Bearer ${token}`)
        .expect(403);
    });

    it('a client route that allows customers still serves clients with the scope', async () => {
      const token = await tokenFor(app, fixture.reader);
      const response = await request(app.getHttpServer()).get('/api/SHOP1/customers/anyone/points').set('Authorization', `Bearer ${token}`).expect(200);
      expect(response.body).toMatchObject({ role: 'client', customerId: null });
    });

    it('minting needs customers:impersonate (403) and a store of the caller\'s tenant (404)', async () => {
      const readerToken = await tokenFor(app, fixture.reader);
      const refused = await request(app.getHttpServer())
        .post('/api/SHOP1/customers/cust-1/token')
        .set('Authorization', `Bearer ${readerToken}`)
        .expect(403);
      expect(refused.body).toMatchObject({ missingScopes: ['customers:impersonate'] });
      await customerToken('SHOP2', 'cust-1', 404);
    });

    it('a customer the store does not know gets no token (404)', async () => {
      const refused = await customerToken('SHOP1', 'cust-unknown', 404);
      expect(refused.body).toMatchObject({ statusCode: 404, message: 'customer "cust-unknown" not found' });
      await customerToken('SHOP1B', 'cust-1', 404);
    });

    it('a customer token may ask for points:write but never for impersonation', async () => {
      const write = await customerToken('SHOP1', 'cust-1', 200, { scope: 'points:read points:write' });
      expect(write.body.scope).toBe('points:read points:write');
      const escalate = await customerToken('SHOP1', 'cust-1', 400, { scope: 'customers:impersonate' });
      expect(escalate.body).toMatchObject({ error: 'invalid_scope' });
    });
  });
});

describe('rate limit per client', () => {
  let dir: string;
  let db: SqliteDatabase;
  let app: NestFastifyApplication;
  let fixture: Fixture;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'auth-e2e-rate-'));
    db = openSqlite(join(dir, 'loyalty.db'));
    const directory = new SqliteTenantDirectory(db);
    fixture = await seed(directory, '');
    app = await boot({ directory, tokenKeys: keys, rateLimitPerMinute: 3 });
  });

  afterAll(async () => {
    await app?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After once a client exceeds its limit, without touching other clients', async () => {
    const token = await tokenFor(app, fixture.full);
    for (let i = 0; i < 3; i += 1) {
      await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${token}`).expect(200);
    }
    const limited = await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${token}`).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const otherToken = await tokenFor(app, fixture.reader);
    await request(app.getHttpServer()).get('/api/SHOP1/points').set('Authorization', `Bearer ${otherToken}`).expect(200);
  });

  it("the token endpoint counts Basic requests per client id: one client's wrong guesses leave another's limit alone", async () => {
    const clients = new ClientService(new SqliteTenantDirectory(db));
    const guessed = await clients.createClient('t1', ['points:read']);
    const bystander = await clients.createClient('t1', ['points:read']);
    for (let i = 0; i < 3; i += 1) {
      await request(app.getHttpServer()).post('/api/oauth/token').auth(guessed.clientId, `wrong-secret-${i}-0123456789`).type('form').send('grant_type=client_credentials').expect(401);
    }
    await request(app.getHttpServer()).post('/api/oauth/token').auth(guessed.clientId, 'wrong-secret-x-0123456789').type('form').send('grant_type=client_credentials').expect(429);
    await request(app.getHttpServer()).post('/api/oauth/token').auth(bystander.clientId, bystander.clientSecret).type('form').send('grant_type=client_credentials').expect(200);
  });
});

describe('failed client authentication at the token endpoint', () => {
  let dir: string;
  let db: SqliteDatabase;
  let app: NestFastifyApplication;
  let clients: ClientService;
  const clock = new ManualClock('2026-03-01T00:00:00.000Z');
  const basic = (clientId: string, secret: string) =>
    request(app.getHttpServer()).post('/api/oauth/token').auth(clientId, secret).type('form').send('grant_type=client_credentials');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'auth-e2e-failures-'));
    db = openSqlite(join(dir, 'loyalty.db'));
    const directory = new SqliteTenantDirectory(db);
    await seed(directory, '');
    clients = new ClientService(directory);
    app = await boot({ directory, tokenKeys: keys, clock });
  });

  afterAll(async () => {
    await app?.close();
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('repeated wrong secrets slow that client down (429 Retry-After, growing), never a different client at the same address', async () => {
    const guessed = await clients.createClient('t1', ['points:read']);
    const bystander = await clients.createClient('t1', ['points:read']);
    for (let i = 0; i < 5; i += 1) await basic(guessed.clientId, `wrong-secret-${i}-0123456789`).expect(401);
    const slowed = await basic(guessed.clientId, guessed.clientSecret).expect(429);
    expect(slowed.body).toMatchObject({ error: 'slow_down', error_description: expect.stringContaining('failed attempts') });
    const firstWait = Number(slowed.headers['retry-after']);
    expect(firstWait).toBeGreaterThan(0);
    // the bystander at the same address is untouched, with the right secret and with a wrong one
    await basic(bystander.clientId, bystander.clientSecret).expect(200);
    await basic(bystander.clientId, 'wrong-secret-b-0123456789').expect(401);

    clock.advance(firstWait * 1000);
    await basic(guessed.clientId, 'wrong-secret-5-0123456789').expect(401);
    const slowerStill = await basic(guessed.clientId, guessed.clientSecret).expect(429);
    expect(Number(slowerStill.headers['retry-after'])).toBeGreaterThan(firstWait);

    clock.advance(Number(slowerStill.headers['retry-after']) * 1000);
    await basic(guessed.clientId, guessed.clientSecret).expect(200);
    // a success forgets the failures: the next wrong secret is a plain 401 again
    await basic(guessed.clientId, 'wrong-secret-6-0123456789').expect(401);
    await basic(guessed.clientId, guessed.clientSecret).expect(200);
  });

  it('wrong guesses under unknown client ids are counted per address, and known clients there still get tokens', async () => {
    const bystander = await clients.createClient('t1', ['points:read']);
    for (let i = 0; i < 5; i += 1) await basic(`cl_unknown_${i}`, 'whatever-secret-0123456789').expect(401);
    await basic('cl_unknown_next', 'whatever-secret-0123456789').expect(429);
    await request(app.getHttpServer()).post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: 'cl_unknown_body', client_secret: 'whatever-secret-0123456789' }).expect(429);
    await basic(bystander.clientId, bystander.clientSecret).expect(200);
  });
});

describe('bootstrap across a restart on the same SQLite file', () => {
  const env = {
    LOYALTY_BOOTSTRAP_CLIENT_ID: 'ops',
    LOYALTY_BOOTSTRAP_CLIENT_SECRET: 'ops-secret-value-0123456789',
    LOYALTY_BOOTSTRAP_STORE: 'MAIN',
  };
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'auth-e2e-restart-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** One process lifetime: open the file, bootstrap, resolve the persisted key, serve. */
  async function start(): Promise<{ app: NestFastifyApplication; db: SqliteDatabase; created: Awaited<ReturnType<typeof bootstrapAuth>> }> {
    const db = openSqlite(join(dir, 'loyalty.db'));
    const directory = new SqliteTenantDirectory(db);
    const created = await bootstrapAuth(directory, env, { firstStartGeneratesClient: true });
    const tokenKeys = await resolveTokenKeys({}, directory);
    return { app: await boot({ directory, tokenKeys }), db, created };
  }

  it('creates the operator client once, and its tokens survive the restart', async () => {
    const first = await start();
    expect(first.created).toMatchObject({ tenantCreated: true, storeCreated: true, configuredClient: { created: true } });
    expect(first.created.generatedClient).toBeUndefined();
    const token = await tokenFor(first.app, { clientId: env.LOYALTY_BOOTSTRAP_CLIENT_ID, clientSecret: env.LOYALTY_BOOTSTRAP_CLIENT_SECRET });
    await request(first.app.getHttpServer()).get('/api/MAIN/points').set('Authorization', `Bearer ${token}`).expect(200);
    await first.app.close();
    first.db.close();

    const second = await start();
    try {
      expect(second.created).toMatchObject({
        tenantCreated: false,
        storeCreated: false,
        configuredClient: { created: false, secretUpdated: false, scopesUpdated: false },
      });
      const response = await request(second.app.getHttpServer()).get('/api/MAIN/points').set('Authorization', `Bearer ${token}`).expect(200);
      expect(response.body).toMatchObject({ tenant: 'default', clientId: 'ops', store: 'MAIN' });
      await tokenFor(second.app, { clientId: env.LOYALTY_BOOTSTRAP_CLIENT_ID, clientSecret: env.LOYALTY_BOOTSTRAP_CLIENT_SECRET });
    } finally {
      await second.app.close();
      second.db.close();
    }
  });
});

describeWithServer('auth over HTTP (MongoDB registry)', mongoUri, 'MONGODB_URI', () => {
  let mongo: MongoClient;
  let dbName: string;
  let app: NestFastifyApplication;
  let fixture: Fixture;
  const prefix = `m${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    mongo = await new MongoClient(mongoUri as string).connect();
    dbName = `auth_e2e_${randomBytes(6).toString('hex')}`;
    const directory = new MongoTenantDirectory(mongo.db(dbName));
    fixture = await seed(directory, prefix);
    const bootstrapped = await bootstrapAuth(directory, { LOYALTY_BOOTSTRAP_CLIENT_ID: 'ops', LOYALTY_BOOTSTRAP_CLIENT_SECRET: 'ops-secret-value-0123456789' });
    expect(bootstrapped.configuredClient).toMatchObject({ created: true });
    app = await boot({ directory, tokenKeys: await resolveTokenKeys({}, directory) });
  });

  afterAll(async () => {
    await app?.close();
    await mongo?.db(dbName).dropDatabase();
    await mongo?.close();
  });

  it('issues tokens and enforces scopes and tenant binding exactly as with SQLite', async () => {
    const token = await tokenFor(app, fixture.reader);
    await request(app.getHttpServer()).get(`/api/${prefix}SHOP1/points`).set('Authorization', `Bearer ${token}`).expect(200);
    await request(app.getHttpServer()).post(`/api/${prefix}SHOP1/points`).set('Authorization', `Bearer ${token}`).expect(403);
    await request(app.getHttpServer()).get(`/api/${prefix}SHOP2/points`).set('Authorization', `Bearer ${token}`).expect(404);
    await request(app.getHttpServer())
      .post('/api/oauth/token')
      .send({ grant_type: 'client_credentials', client_id: fixture.reader.clientId, client_secret: 'wrong-secret-value-1234' })
      .expect(401);
  });

  it('the bootstrap client authenticates and customer tokens work', async () => {
    const ops = await tokenFor(app, { clientId: 'ops', clientSecret: 'ops-secret-value-0123456789' });
    await request(app.getHttpServer()).get('/api/DEFAULT/points').set('Authorization', `Bearer ${ops}`).expect(200);
    const minted = await request(app.getHttpServer())
      .post('/api/DEFAULT/customers/c-9/token')
      .set('Authorization', `Bearer ${ops}`)
      .expect(200);
    await request(app.getHttpServer())
      .get('/api/DEFAULT/customers/c-9/points')
      .set('Authorization', `Bearer ${minted.body.access_token as string}`)
      .expect(200);
  });
});
