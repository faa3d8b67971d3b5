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
  store_code TEXT PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES auth_tenants(id),
  currency TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_stores_by_tenant ON auth_stores(tenant);
CREATE TABLE IF NOT EXISTS auth_clients (
  client_id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL REFERENCES auth_tenants(id),
  scopes TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  api_key TEXT UNIQUE,
  api_secret_hash TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_clients_by_tenant ON auth_clients(tenant);
CREATE TABLE IF NOT EXISTS auth_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

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
    this.write(() => this.db.exec(SCHEMA));
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
        'INSERT INTO auth_stores (store_code, tenant, currency, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (store_code) DO NOTHING',
      ).run(store.storeCode, store.tenant, store.currency, store.createdAt),
    );
    return result.changes === 1;
  }

  async findStore(storeCode: string): Promise<StoreRecord | undefined> {
    const row = this.statement('SELECT * FROM auth_stores WHERE store_code = ?').get(storeCode) as StoreRow | undefined;
    return row ? toStore(row) : undefined;
  }

  async listStores(tenant: string): Promise<StoreRecord[]> {
    const rows = this.statement('SELECT * FROM auth_stores WHERE tenant = ? ORDER BY store_code').all(tenant) as StoreRow[];
    return rows.map(toStore);
  }

  async insertClient(client: ClientRecord): Promise<boolean> {
    const result = this.write(() =>
      this.statement(
        `INSERT INTO auth_clients (client_id, tenant, scopes, secret_hash, revoked, api_key, api_secret_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING`,
      ).run(
        client.clientId,
        client.tenant,
        JSON.stringify(client.scopes),
        client.secretHash,
        client.revoked ? 1 : 0,
        client.apiKey ?? null,
        client.apiSecretHash ?? null,
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
