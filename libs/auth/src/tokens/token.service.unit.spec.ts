import { ManualClock } from '@app/ledger/clock';
import { openSqlite, type SqliteDatabase } from '@app/event-store/sqlite/sqlite-database';
import { ClientService } from '../client.service';
import { SqliteTenantDirectory } from '../sqlite/sqlite-tenant-directory';
import type { ClientRecord } from '../tenant-directory.port';
import { signJwt, type TokenKey } from './jwt';
import { TokenService } from './token.service';

const keyA: TokenKey = { kid: 'a', secret: 'key-a-0123456789abcdef0123456789ab' };
const keyB: TokenKey = { kid: 'b', secret: 'key-b-0123456789abcdef0123456789ab' };

describe('access tokens', () => {
  let db: SqliteDatabase;
  let clock: ManualClock;
  let clients: ClientService;
  let client: ClientRecord;

  function service(keys: TokenKey[]): TokenService {
    return new TokenService({ keys, clientTokenTtlSeconds: 3600, customerTokenTtlSeconds: 900, clock }, clients);
  }

  beforeEach(async () => {
    db = openSqlite(':memory:');
    const directory = new SqliteTenantDirectory(db);
    await directory.ensureSchema();
    clock = new ManualClock('2026-03-01T10:00:00Z');
    clients = new ClientService(directory, clock);
    await clients.createTenant('t1');
    const { clientId } = await clients.createClient('t1', ['points:read', 'points:write']);
    client = (await directory.findClient(clientId)) as ClientRecord;
  });

  afterEach(() => db.close());

  it('a fresh token gives the client principal with the granted scopes', async () => {
    const tokens = service([keyA]);
    const issued = tokens.issueClientToken(client, ['points:read']);
    expect(issued.expiresIn).toBe(3600);
    await expect(tokens.verify(issued.accessToken)).resolves.toEqual({
      ok: true,
      principal: { tenant: 't1', clientId: client.clientId, scopes: ['points:read'], role: 'client', via: 'bearer' },
    });
  });

  it('carries aud "loyalty-engine", iat and exp one ttl apart', () => {
    const issued = service([keyA]).issueClientToken(client, client.scopes);
    const claims = JSON.parse(Buffer.from(issued.accessToken.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ aud: 'loyalty-engine', tenant: 't1', sub: client.clientId, role: 'client' });
    expect(claims.exp).toBe((claims.iat as number) + 3600);
  });

  it('rotation: a token signed before the new key was put first still verifies', async () => {
    const before = service([keyA]).issueClientToken(client, client.scopes);
    const rotated = service([keyB, keyA]);
    await expect(rotated.verify(before.accessToken)).resolves.toMatchObject({ ok: true });
    const after = rotated.issueClientToken(client, client.scopes);
    expect(JSON.parse(Buffer.from(after.accessToken.split('.')[0], 'base64url').toString())).toMatchObject({ kid: 'b' });
  });

  it('expired: refused once exp has passed (beyond the clock-skew allowance)', async () => {
    const tokens = service([keyA]);
    const issued = tokens.issueClientToken(client, client.scopes);
    clock.advance(3600_000 + 31_000);
    await expect(tokens.verify(issued.accessToken)).resolves.toEqual({ ok: false, reason: 'expired' });
  });

  it('expiry allows the clock-skew: still accepted 29 s after exp, by the injected clock', async () => {
    const tokens = service([keyA]);
    const issued = tokens.issueClientToken(client, client.scopes);
    clock.advance(3600_000 + 29_000);
    await expect(tokens.verify(issued.accessToken)).resolves.toMatchObject({ ok: true });
  });

  it('a token issued further in the future than the clock-skew allowance is refused', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const early = signJwt({ aud: 'loyalty-engine', sub: client.clientId, tenant: 't1', role: 'client', scopes: ['points:read'], iat: now + 31, exp: now + 3600 }, keyA);
    await expect(service([keyA]).verify(early)).resolves.toEqual({ ok: false, reason: 'expired' });
  });

  it('an audience list naming "loyalty-engine" is accepted', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const listed = signJwt({ aud: ['billing', 'loyalty-engine'], sub: client.clientId, tenant: 't1', role: 'client', scopes: ['points:read'], iat: now, exp: now + 60 }, keyA);
    await expect(service([keyA]).verify(listed)).resolves.toMatchObject({ ok: true });
  });

  it('unknown kid and alg none are refused before any claim is read', async () => {
    const issued = service([keyA]).issueClientToken(client, client.scopes);
    await expect(service([keyB]).verify(issued.accessToken)).resolves.toEqual({ ok: false, reason: 'unknown_kid' });
    const [, payload] = issued.accessToken.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'a' })).toString('base64url')}.${payload}.`;
    await expect(service([keyA]).verify(unsigned)).resolves.toEqual({ ok: false, reason: 'unsupported_alg' });
  });

  it('wrong audience: a validly signed token for another audience is refused', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const foreign = signJwt({ aud: 'billing', sub: client.clientId, tenant: 't1', role: 'client', scopes: ['points:read'], iat: now, exp: now + 60 }, keyA);
    await expect(service([keyA]).verify(foreign)).resolves.toEqual({ ok: false, reason: 'wrong_audience' });
  });

  it('a token naming a tenant other than its client\'s is refused', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const forged = signJwt({ aud: 'loyalty-engine', sub: client.clientId, tenant: 't2', role: 'client', scopes: ['points:read'], iat: now, exp: now + 60 }, keyA);
    await expect(service([keyA]).verify(forged)).resolves.toEqual({ ok: false, reason: 'client_inactive' });
  });

  it('a token accepted before (its signature remembered) still expires by the clock', async () => {
    const tokens = service([keyA]);
    const issued = tokens.issueClientToken(client, client.scopes);
    await expect(tokens.verify(issued.accessToken)).resolves.toMatchObject({ ok: true });
    clock.advance(3600_000 + 29_000);
    await expect(tokens.verify(issued.accessToken)).resolves.toMatchObject({ ok: true });
    clock.advance(2_000);
    await expect(tokens.verify(issued.accessToken)).resolves.toEqual({ ok: false, reason: 'expired' });
  });

  it('a token accepted before stops working once its client is revoked, and a tampered copy is still refused', async () => {
    const tokens = service([keyA]);
    const issued = tokens.issueClientToken(client, client.scopes);
    await expect(tokens.verify(issued.accessToken)).resolves.toMatchObject({ ok: true });
    const [header, payload, signature] = issued.accessToken.split('.');
    const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), tenant: 't2' })).toString('base64url');
    await expect(tokens.verify(`${header}.${widened}.${signature}`)).resolves.toEqual({ ok: false, reason: 'bad_signature' });
    await clients.revokeClient(client.clientId);
    await expect(tokens.verify(issued.accessToken)).resolves.toEqual({ ok: false, reason: 'client_inactive' });
  });

  it('revoking the client invalidates its outstanding tokens at once', async () => {
    const tokens = service([keyA]);
    const issued = tokens.issueClientToken(client, client.scopes);
    await clients.revokeClient(client.clientId);
    await expect(tokens.verify(issued.accessToken)).resolves.toEqual({ ok: false, reason: 'client_inactive' });
  });

  it('scopes taken from the client later are dropped from its outstanding tokens', async () => {
    const tokens = service([keyA]);
    const issued = tokens.issueClientToken(client, client.scopes);
    await clients.setClientScopes(client.clientId, ['points:read']);
    await expect(tokens.verify(issued.accessToken)).resolves.toMatchObject({ ok: true, principal: { scopes: ['points:read'] } });
  });

  it('claims of the wrong shape are refused even when signed', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    const odd = signJwt({ aud: 'loyalty-engine', sub: client.clientId, tenant: 't1', role: 'admin', scopes: ['points:read'], iat: now, exp: now + 60 }, keyA);
    await expect(service([keyA]).verify(odd)).resolves.toEqual({ ok: false, reason: 'bad_claims' });
  });
});
