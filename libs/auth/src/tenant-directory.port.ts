import type { Scope } from './scopes';

export interface TenantRecord {
  id: string;
  createdAt: string;
}

/**
 * A store belongs to exactly one tenant. Its code is unique within the tenant (two tenants may each
 * have `main`): every route resolves a code within the caller's tenant.
 */
export interface StoreRecord {
  storeCode: string;
  tenant: string;
  /** ISO 4217, e.g. "EUR" */
  currency: string;
  createdAt: string;
}

export interface ClientRecord {
  clientId: string;
  tenant: string;
  scopes: Scope[];
  /** scrypt hash, see secrets.ts; the secret itself is never stored */
  secretHash: string;
  revoked: boolean;
  /** HTTP Basic credentials for dialects that use API keys; the key is public, its secret hashed */
  apiKey?: string;
  apiSecretHash?: string;
  /** the store used when a dialect's request names none (Salla, Prems without salesChannelId) */
  defaultStore?: string;
  createdAt: string;
}

export type ClientChanges = Partial<Pick<ClientRecord, 'scopes' | 'secretHash' | 'revoked' | 'apiKey' | 'apiSecretHash' | 'defaultStore'>>;

/**
 * The tenancy registry: tenants, their stores and their integration clients.
 * Inserts report whether they created something, so callers can be idempotent without races.
 */
export interface TenantDirectory {
  /** creates tables/collections and indexes when missing */
  ensureSchema(): Promise<void>;

  insertTenant(tenant: TenantRecord): Promise<boolean>;
  findTenant(id: string): Promise<TenantRecord | undefined>;

  /** false when the tenant already has a store with this code */
  insertStore(store: StoreRecord): Promise<boolean>;
  findStore(tenant: string, storeCode: string): Promise<StoreRecord | undefined>;
  listStores(tenant: string): Promise<StoreRecord[]>;
  /** another system's id for one of the tenant's stores (e.g. a Shopware salesChannelId); false when the alias is taken */
  insertStoreAlias(tenant: string, alias: string, storeCode: string): Promise<boolean>;
  /** the store code an alias names within the tenant */
  findStoreAlias(tenant: string, alias: string): Promise<string | undefined>;

  /** false when the client id is already taken */
  insertClient(client: ClientRecord): Promise<boolean>;
  findClient(clientId: string): Promise<ClientRecord | undefined>;
  findClientByApiKey(apiKey: string): Promise<ClientRecord | undefined>;
  updateClient(clientId: string, changes: ClientChanges): Promise<void>;
  listClients(tenant: string): Promise<ClientRecord[]>;
  countClients(): Promise<number>;

  /** the stored value for `key`, storing `valueIfAbsent` first when there is none (first writer wins) */
  ensureSetting(key: string, valueIfAbsent: string): Promise<string>;
}
