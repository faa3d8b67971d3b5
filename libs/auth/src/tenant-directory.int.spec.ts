import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { openSqlite, type SqliteDatabase } from '@app/event-store/sqlite/sqlite-database';
import { describeWithServer, mongoUri } from '../../../test/support/servers';
import { MongoTenantDirectory } from './mongo/mongo-tenant-directory';
import { SqliteTenantDirectory } from './sqlite/sqlite-tenant-directory';
import { tenantDirectoryContract } from './testing/tenant-directory.contract';

describe('TenantDirectory contract: SQLite', () => {
  tenantDirectoryContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-directory-'));
    const path = join(dir, 'loyalty.db');
    const handles: SqliteDatabase[] = [openSqlite(path)];
    return {
      directory: new SqliteTenantDirectory(handles[0]),
      reopen: async () => {
        handles.push(openSqlite(path));
        return new SqliteTenantDirectory(handles[handles.length - 1]);
      },
      dispose: async () => {
        handles.forEach((handle) => handle.close());
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describe('SQLite registry written before store codes were scoped by tenant', () => {
  it('is migrated in place: stores keep their tenant, clients get a default-store column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-migrate-'));
    const db = openSqlite(join(dir, 'loyalty.db'));
    try {
      db.exec(`CREATE TABLE auth_tenants (id TEXT PRIMARY KEY, created_at TEXT NOT NULL);
        CREATE TABLE auth_stores (store_code TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES auth_tenants(id), currency TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE INDEX auth_stores_by_tenant ON auth_stores(tenant);
        CREATE TABLE auth_clients (client_id TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES auth_tenants(id), scopes TEXT NOT NULL,
          secret_hash TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, api_key TEXT UNIQUE, api_secret_hash TEXT, created_at TEXT NOT NULL);
        INSERT INTO auth_tenants VALUES ('t1', '2026-01-01'), ('t2', '2026-01-01');
        INSERT INTO auth_stores VALUES ('SHOP', 't1', 'EUR', '2026-01-01');
        INSERT INTO auth_clients (client_id, tenant, scopes, secret_hash, created_at) VALUES ('c1', 't1', '["points:read"]', 'h', '2026-01-01');`);
      const directory = new SqliteTenantDirectory(db);
      await directory.ensureSchema();
      await directory.ensureSchema();
      expect(await directory.findStore('t1', 'SHOP')).toEqual({ storeCode: 'SHOP', tenant: 't1', currency: 'EUR', createdAt: '2026-01-01' });
      expect(await directory.insertStore({ storeCode: 'SHOP', tenant: 't2', currency: 'PLN', createdAt: '2026-01-02' })).toBe(true);
      expect(await directory.findClient('c1')).toMatchObject({ clientId: 'c1', tenant: 't1' });
      await directory.updateClient('c1', { defaultStore: 'SHOP' });
      expect(await directory.findClient('c1')).toMatchObject({ defaultStore: 'SHOP' });
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithServer('TenantDirectory contract: MongoDB', mongoUri, 'MONGODB_URI', () => {
  let client: MongoClient;

  beforeAll(async () => {
    client = await new MongoClient(mongoUri as string).connect();
  });

  afterAll(() => client.close());

  tenantDirectoryContract(async () => {
    const db = client.db(`auth_contract_${randomBytes(6).toString('hex')}`);
    return {
      directory: new MongoTenantDirectory(db),
      reopen: async () => new MongoTenantDirectory(db),
      dispose: async () => {
        await db.dropDatabase();
      },
    };
  });
});
