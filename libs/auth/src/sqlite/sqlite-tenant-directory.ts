import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '@app/event-store/sqlite/sqlite-database';
import { isScope, type Scope } from '../scopes';
import type { ClientChanges, ClientRecord, StoreRecord, TenantDirectory, TenantRecord } from '../tenant-directory.port';

interface ClientRow {
  client_id: string;
  tenant: string;
  scopes: string;
  secret_hash: string;
  revoked: number;
  api_key: string | null;
  api_secret_hash: string | null;
  default_store: string | null;
  created_at: string;
}

interface StoreRow {
  store_code: string;
  tenant: string;
  currency: string;
  created_at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS auth_tenants (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_stores (
  tenant TEXT NOT NULL REFERENCES auth_tenants(id),
  store_code TEXT NOT NULL,
  currency TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant, store_code)
);
CREATE TABLE IF NOT EXISTS auth_store_aliases (
  tenant TEXT NOT NULL,
  alias TEXT NOT NULL,
  store_code TEXT NOT NULL,
  PRIMARY KEY (tenant, alias)
);
CREATE TABLE IF NOT EXISTS auth_clients (
  client_id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES auth_tenants(id),
  scopes TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  api_key TEXT UNIQUE,
  api_secret_hash TEXT,
  default_store TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_clients_by_tenant ON auth_clients(tenant);
CREATE TABLE IF NOT EXISTS auth_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/**
 * Registries written before store codes were scoped by tenant: auth_stores keyed by store_code alone,
 * auth_clients without default_store. Brought to today's schema in one transaction.
 */
function migrate(db: SqliteDatabase): void {
  const storeKey = (db.prepare('PRAGMA table_info(auth_stores)').all() as Array<{ name: string; pk: number }>).filter((c) => c.pk > 0);
  const clientColumns = (db.prepare('PRAGMA table_info(auth_clients)').all() as Array<{ name: string }>).map((c) => c.name);
  db.transaction(() => {
    if (storeKey.length === 1) {
      db.exec(`ALTER TABLE auth_stores RENAME TO auth_stores_by_code;
        DROP INDEX IF EXISTS auth_stores_by_tenant;`);
      db.exec(SCHEMA);
      db.exec(`INSERT INTO auth_stores (tenant, store_code, currency, created_at)
          SELECT tenant, store_code, currency, created_at FROM auth_stores_by_code;
        DROP TABLE auth_stores_by_code;`);
    }
    if (clientColumns.length > 0 && !clientColumns.includes('default_store')) db.exec('ALTER TABLE auth_clients ADD COLUMN default_store TEXT');
  })();
}

function toStore(row: StoreRow): StoreRecord {
  return { storeCode: row.store_code, tenant: row.tenant, currency: row.currency, createdAt: row.created_at };
}

function toClient(row: ClientRow): ClientRecord {
  const scopes = (JSON.parse(row.scopes) as unknown[]).filter(isScope);
  return {
    clientId: row.client_id,
    tenant: row.tenant,
    scopes,
    secretHash: row.secret_hash,
    revoked: row.revoked === 1,
    ...(row.api_key !== null ? { apiKey: row.api_key } : {}),
    ...(row.api_secret_hash !== null ? { apiSecretHash: row.api_secret_hash } : {}),
    ...(row.default_store !== null ? { defaultStore: row.default_store } : {}),
    createdAt: row.created_at,
  };
}

/** Bumped by every write through any directory on a connection, which PRAGMA data_version does not see. */
const registryWrites = new WeakMap<SqliteDatabase, { count: number }>();
const CACHED_CLIENTS_MAX = 10_000;

/** The embedded profile's registry: tables next to the events in the one SQLite file. */
export class SqliteTenantDirectory implements TenantDirectory {
  // Prepared on first use (the tables exist only after ensureSchema) and then reused: the bearer
  // check looks its client up on every request.
  private readonly statements = new Map<string, Statement>();
  private readonly dataVersion: Statement<[], number>;
  private readonly writes: { count: number };
  /**
   * Clients as last read, for the bearer check on every request. Trusted only while nothing wrote to
   * the file since: PRAGMA data_version changes with every commit by another connection (the CLI
   * revoking a client), `writes` with every write through a directory on this one. So a revocation
   * takes effect on the very next request, as without the cache.
   */
  private readonly clients = new Map<string, ClientRecord | undefined>();
  private clientsAt = { version: -1, writes: -1 };

  constructor(private readonly db: SqliteDatabase) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck() as Statement<[], number>;
    let writes = registryWrites.get(db);
    if (!writes) registryWrites.set(db, (writes = { count: 0 }));
    this.writes = writes;
  }

  /** Every registry write goes through here, so findClient sees it. */
  private write<T>(work: () => T): T {
    try {
      return work();
    } finally {
      this.writes.count += 1;
    }
  }

  private freshClients(): Map<string, ClientRecord | undefined> {
    const version = this.dataVersion.get() as number;
    if (version !== this.clientsAt.version || this.writes.count !== this.clientsAt.writes) {
      this.clients.clear();
      this.clientsAt = { version, writes: this.writes.count };
    }
    return this.clients;
  }

  private statement(sql: string): Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) this.statements.set(sql, (prepared = this.db.prepare(sql)));
    return prepared;
  }

  async ensureSchema(): Promise<void> {
    this.write(() => {
      migrate(this.db);
      this.db.exec(SCHEMA);
    });
  }

  async insertTenant(tenant: TenantRecord): Promise<boolean> {
    const result = this.write(() =>
      this.statement('INSERT INTO auth_tenants (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING').run(tenant.id, tenant.createdAt),
    );
    return result.changes === 1;
  }

  async findTenant(id: string): Promise<TenantRecord | undefined> {
    const row = this.statement('SELECT id, created_at FROM auth_tenants WHERE id = ?').get(id) as
      | { id: string; created_at: string }
      | undefined;
    return row ? { id: row.id, createdAt: row.created_at } : undefined;
  }

  async insertStore(store: StoreRecord): Promise<boolean> {
    const result = this.write(() =>
      this.statement(
        'INSERT INTO auth_stores (store_code, tenant, currency, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant, store_code) DO NOTHING',
      ).run(store.storeCode, store.tenant, store.currency, store.createdAt),
    );
    return result.changes === 1;
  }

  async findStore(tenant: string, storeCode: string): Promise<StoreRecord | undefined> {
    const row = this.statement('SELECT * FROM auth_stores WHERE tenant = ? AND store_code = ?').get(tenant, storeCode) as StoreRow | undefined;
    return row ? toStore(row) : undefined;
  }

  async insertStoreAlias(tenant: string, alias: string, storeCode: string): Promise<boolean> {
    const result = this.write(() =>
      this.statement('INSERT INTO auth_store_aliases (tenant, alias, store_code) VALUES (?, ?, ?) ON CONFLICT (tenant, alias) DO NOTHING').run(tenant, alias, storeCode),
    );
    return result.changes === 1;
  }

  async findStoreAlias(tenant: string, alias: string): Promise<string | undefined> {
    return this.statement('SELECT store_code FROM auth_store_aliases WHERE tenant = ? AND alias = ?').pluck().get(tenant, alias) as string | undefined;
  }

  async listStores(tenant: string): Promise<StoreRecord[]> {
    const rows = this.statement('SELECT * FROM auth_stores WHERE tenant = ? ORDER BY store_code').all(tenant) as StoreRow[];
    return rows.map(toStore);
  }

  async insertClient(client: ClientRecord): Promise<boolean> {
    const result = this.write(() =>
      this.statement(
        `INSERT INTO auth_clients (client_id, tenant, scopes, secret_hash, revoked, api_key, api_secret_hash, default_store, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING`,
      ).run(
        client.clientId,
        client.tenant,
        JSON.stringify(client.scopes),
        client.secretHash,
        client.revoked ? 1 : 0,
        client.apiKey ?? null,
        client.apiSecretHash ?? null,
        client.defaultStore ?? null,
        client.createdAt,
      ),
    );
    return result.changes === 1;
  }

  async findClient(clientId: string): Promise<ClientRecord | undefined> {
    const clients = this.freshClients();
    if (clients.has(clientId)) return clients.get(clientId);
    const row = this.statement('SELECT * FROM auth_clients WHERE client_id = ?').get(clientId) as ClientRow | undefined;
    const client = row ? toClient(row) : undefined;
    if (clients.size >= CACHED_CLIENTS_MAX) clients.clear();
    clients.set(clientId, client);
    return client;
  }

  async findClientByApiKey(apiKey: string): Promise<ClientRecord | undefined> {
    const row = this.statement('SELECT * FROM auth_clients WHERE api_key = ?').get(apiKey) as ClientRow | undefined;
    return row ? toClient(row) : undefined;
  }

  async updateClient(clientId: string, changes: ClientChanges): Promise<void> {
    const columns: Array<[string, string | number | null]> = [];
    if (changes.scopes !== undefined) columns.push(['scopes', JSON.stringify(changes.scopes satisfies Scope[])]);
    if (changes.secretHash !== undefined) columns.push(['secret_hash', changes.secretHash]);
    if (changes.revoked !== undefined) columns.push(['revoked', changes.revoked ? 1 : 0]);
    if (changes.apiKey !== undefined) columns.push(['api_key', changes.apiKey]);
    if (changes.apiSecretHash !== undefined) columns.push(['api_secret_hash', changes.apiSecretHash]);
    if (changes.defaultStore !== undefined) columns.push(['default_store', changes.defaultStore]);
    if (columns.length === 0) return;
    // Column names come from the fixed list above, never from the caller.
    const assignments = columns.map(([column]) => `${column} = ?`).join(', ');
    this.write(() => this.statement(`UPDATE auth_clients SET ${assignments} WHERE client_id = ?`).run(...columns.map(([, value]) => value), clientId));
  }

  async listClients(tenant: string): Promise<ClientRecord[]> {
    const rows = this.statement('SELECT * FROM auth_clients WHERE tenant = ? ORDER BY client_id').all(tenant) as ClientRow[];
    return rows.map(toClient);
  }

  async countClients(): Promise<number> {
    const row = this.statement('SELECT COUNT(*) AS n FROM auth_clients').get() as { n: number };
    return row.n;
  }

  async ensureSetting(key: string, valueIfAbsent: string): Promise<string> {
    this.write(() => this.statement('INSERT INTO auth_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, valueIfAbsent));
    const row = this.statement('SELECT value FROM auth_settings WHERE key = ?').get(key) as { value: string };
    return row.value;
  }
}
