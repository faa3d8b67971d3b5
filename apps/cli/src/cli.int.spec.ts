import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientService, SqliteTenantDirectory } from '@app/auth';
import { openSqlite, SqliteEventStore } from '@app/event-store';
import { run } from './main';

/** The operator CLI against a real SQLite data directory, as `npm run cli -- …` runs it. */
describe('loyalty CLI', () => {
  let dataDir: string;
  let printed: string[];
  const previous = { ...process.env };

  const cli = async (...args: string[]): Promise<{ code: number; out: string }> => {
    printed = [];
    const code = await run(args);
    return { code, out: printed.join('\n') };
  };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'loyalty-cli-'));
    process.env.LOYALTY_PROFILE = 'embedded';
    process.env.LOYALTY_DATA_DIR = dataDir;
    jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void printed.push(parts.join(' ')));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...previous };
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a tenant with a store and a client whose secret is printed once and works', async () => {
    expect((await cli('tenants', 'create', 'acme', '--store', 'ACME_EU', '--currency', 'EUR')).out).toContain('store ACME_EU added');
    const created = await cli('clients', 'create', '--tenant', 'acme', '--scopes', 'points:read,points:write');
    expect(created.code).toBe(0);
    const clientId = /client_id=(\S+)/.exec(created.out)?.[1];
    const clientSecret = /client_secret=(\S+)/.exec(created.out)?.[1];
    expect(clientId && clientSecret).toBeTruthy();

    const db = openSqlite(join(dataDir, 'loyalty.db'));
    const clients = new ClientService(new SqliteTenantDirectory(db));
    const verified = await clients.verifyClient(clientId!, clientSecret!);
    expect(verified).toMatchObject({ tenant: 'acme', scopes: ['points:read', 'points:write'] });
    expect(await clients.verifyClient(clientId!, `${clientSecret}x`)).toBeUndefined();

    expect((await cli('clients', 'revoke', clientId!)).code).toBe(0);
    expect(await clients.verifyClient(clientId!, clientSecret!)).toBeUndefined();
    db.close();
  });

  it('gives a store aliases and a client a default store, both within the tenant', async () => {
    await cli('tenants', 'create', 'acme', '--store', 'ACME_EU', '--currency', 'EUR');
    await cli('tenants', 'create', 'other', '--store', 'main', '--currency', 'EUR');
    expect((await cli('stores', 'add', 'acme', 'ACME_EU', '--alias', 'ch-1', '--alias', 'ch-2')).out).toContain('alias ch-2 names store ACME_EU');
    expect((await cli('stores', 'add', 'acme', 'main', '--currency', 'PLN')).out).toContain('store main added to acme');
    const created = await cli('clients', 'create', '--tenant', 'acme', '--scopes', 'all', '--store', 'ACME_EU');
    const clientId = /client_id=(\S+)/.exec(created.out)?.[1] as string;
    await expect(cli('clients', 'create', '--tenant', 'other', '--scopes', 'all', '--store', 'ACME_EU')).rejects.toThrow(/no store "ACME_EU"/);

    const db = openSqlite(join(dataDir, 'loyalty.db'));
    const directory = new SqliteTenantDirectory(db);
    expect(await directory.findStoreAlias('acme', 'ch-1')).toBe('ACME_EU');
    expect(await directory.findStoreAlias('other', 'ch-1')).toBeUndefined();
    expect(await directory.findStore('acme', 'main')).toMatchObject({ currency: 'PLN' });
    expect(await directory.findClient(clientId)).toMatchObject({ defaultStore: 'ACME_EU' });
    expect((await cli('clients', 'default-store', clientId, 'main')).out).toContain('defaults to store main');
    expect(await directory.findClient(clientId)).toMatchObject({ defaultStore: 'main' });
    db.close();
  });

  it('refuses unknown scopes and bad currencies with usage errors', async () => {
    await expect(cli('clients', 'create', '--tenant', 'acme', '--scopes', 'points:steal')).rejects.toThrow(/unknown scope points:steal/);
    await expect(cli('stores', 'add', 'acme', 'X', '--currency', 'euro')).rejects.toThrow(/ISO 4217/);
  });

  it('lists projections, shows their status and rebuilds them from the stored events', async () => {
    const db = openSqlite(join(dataDir, 'loyalty.db'));
    const events = new SqliteEventStore(db);
    await events.appendToStream('pointsAccount-acme:ACME_EU:c1', [
      { id: 'e1', type: 'AccountOpened', data: { accountId: 'a1', tenant: 'acme', storeCode: 'ACME_EU', customerId: 'c1', openedAt: '2026-01-01T00:00:00.000Z' }, metadata: { tenant: 'acme', storeCode: 'ACME_EU' } },
      { id: 'e2', type: 'PointsAdded', data: { transferId: 't1', type: 'adding', points: 950, state: 'active', createdAt: '2026-01-01T00:00:00.000Z' }, metadata: { tenant: 'acme', storeCode: 'ACME_EU', issuer: 'api' } },
    ]);
    await events.close();
    db.close();

    expect((await cli('projections', 'list')).out.split('\n')).toEqual(['customers', 'accounts', 'lots', 'transfers', 'histogram']);
    const before = await cli('projections', 'status');
    expect(before.out).toMatch(/accounts\s+-1\s+2\s+2\s+never/);

    const rebuilt = await cli('projections', 'rebuild', '--all');
    expect(rebuilt.out).toMatch(/accounts: rebuilt from 2 events/);
    const after = await cli('projections', 'status');
    expect(after.out).toMatch(/accounts\s+2\s+2\s+0\s+\d{4}-/);

    const check = openSqlite(join(dataDir, 'loyalty.db'));
    expect(check.prepare('SELECT available FROM accounts').get()).toEqual({ available: 950 });
    check.close();
  });
});
