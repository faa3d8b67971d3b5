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
