import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '@app/ledger/clock';
import { AuthError } from './errors';
import { normalizeScopes, SCOPES, type Scope } from './scopes';
import { hashSecret, randomId, randomSecret, verifySecret } from './secrets';
import type { ClientRecord, StoreRecord, TenantDirectory, TenantRecord } from './tenant-directory.port';

// Identifiers end up in URLs and in stream names split on ':', so they are restricted to a safe alphabet.
const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const STORE_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.~-]{0,127}$/;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;
export const MIN_SECRET_LENGTH = 16;

/** How long a secret that matched its scrypt hash is remembered, so Basic auth need not re-run the KDF per request. */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX_ENTRIES = 10_000;

export interface IssuedCredentials {
  clientId: string;
  /** shown once; only its hash is kept */
  clientSecret: string;
}

export interface IssuedApiKey {
  apiKey: string;
  /** shown once; only its hash is kept */
  apiSecret: string;
}

export interface CreateClientOptions {
  /** a chosen id (bootstrap, migrations); random when absent */
  clientId?: string;
  /** a chosen secret (bootstrap); random when absent */
  clientSecret?: string;
  /** one of the tenant's stores, used when a dialect's request names none */
  defaultStore?: string;
}

function assertIdentifier(kind: string, value: string, pattern: RegExp): void {
  if (!pattern.test(value)) throw new AuthError('invalid_identifier', `${kind} "${value}" must match ${pattern.source}`);
}

function assertSecret(secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH || secret.includes(':')) {
    throw new AuthError('invalid_secret', `a client secret needs at least ${MIN_SECRET_LENGTH} characters and no ":"`);
  }
}

function assertScopes(scopes: readonly Scope[]): Scope[] {
  if (scopes.length === 0 || !scopes.every((scope) => (SCOPES as readonly string[]).includes(scope))) {
    throw new AuthError('invalid_scope', `scopes must be a non-empty subset of: ${SCOPES.join(', ')}`);
  }
  return normalizeScopes(scopes);
}

/** Tenants, stores and clients: the operations the CLI, the bootstrap and the token endpoint share. */
export class ClientService {
  private readonly verified = new Map<string, number>();
  // Unknown client ids still pay for one KDF run, so response time does not reveal which ids exist.
  private decoyHash?: Promise<string>;

  constructor(
    readonly directory: TenantDirectory,
    private readonly clock: Clock = systemClock,
  ) {}

  private now(): string {
    return this.clock.now().toISOString();
  }

  async createTenant(id: string): Promise<{ tenant: TenantRecord; created: boolean }> {
    assertIdentifier('tenant', id, TENANT_PATTERN);
    const tenant = { id, createdAt: this.now() };
    const created = await this.directory.insertTenant(tenant);
    return { tenant: created ? tenant : ((await this.directory.findTenant(id)) ?? tenant), created };
  }

  /** Adds a store to a tenant; asking again for the same store is a no-op. Codes are unique within a tenant only. */
  async addStore(tenant: string, storeCode: string, currency: string): Promise<{ store: StoreRecord; created: boolean }> {
    assertIdentifier('store code', storeCode, STORE_CODE_PATTERN);
    if (!CURRENCY_PATTERN.test(currency)) throw new AuthError('invalid_currency', `currency "${currency}" must be an ISO 4217 code like EUR`);
    await this.requireTenant(tenant);
    const store: StoreRecord = { storeCode, tenant, currency, createdAt: this.now() };
    if (await this.directory.insertStore(store)) return { store, created: true };
    const existing = await this.directory.findStore(tenant, storeCode);
    if (!existing) throw new Error(`store ${tenant}/${storeCode} was neither inserted nor found`);
    return { store: existing, created: false };
  }

  /**
   * Gives one of the tenant's stores another system's id for it (a Shopware salesChannelId), so a
   * dialect whose requests carry that id finds the store. Adding the same alias again is a no-op.
   */
  async addStoreAlias(tenant: string, storeCode: string, alias: string): Promise<{ created: boolean }> {
    if (alias.length === 0 || alias.length > 128 || /\s/.test(alias)) throw new AuthError('invalid_identifier', 'a store alias is 1-128 characters without spaces');
    await this.requireStore(tenant, storeCode);
    if (await this.directory.insertStoreAlias(tenant, alias, storeCode)) return { created: true };
    const holder = await this.directory.findStoreAlias(tenant, alias);
    if (holder !== storeCode) throw new AuthError('alias_taken', `alias "${alias}" already names store "${holder}"`);
    return { created: false };
  }

  /** The store a client's requests use when a dialect's request names none. */
  async setDefaultStore(clientId: string, storeCode: string): Promise<void> {
    const client = await this.requireClient(clientId);
    await this.requireStore(client.tenant, storeCode);
    await this.directory.updateClient(clientId, { defaultStore: storeCode });
  }

  async createClient(tenant: string, scopes: readonly Scope[], options: CreateClientOptions = {}): Promise<IssuedCredentials> {
    await this.requireTenant(tenant);
    const clientId = options.clientId ?? randomId('cl');
    assertIdentifier('client id', clientId, CLIENT_ID_PATTERN);
    const clientSecret = options.clientSecret ?? randomSecret();
    assertSecret(clientSecret);
    if (options.defaultStore !== undefined) await this.requireStore(tenant, options.defaultStore);
    const record: ClientRecord = {
      clientId,
      tenant,
      scopes: assertScopes(scopes),
      secretHash: await hashSecret(clientSecret),
      revoked: false,
      ...(options.defaultStore !== undefined ? { defaultStore: options.defaultStore } : {}),
      createdAt: this.now(),
    };
    if (!(await this.directory.insertClient(record))) throw new AuthError('client_exists', `client "${clientId}" already exists`);
    return { clientId, clientSecret };
  }

  async revokeClient(clientId: string): Promise<void> {
    await this.requireClient(clientId);
    await this.directory.updateClient(clientId, { revoked: true });
  }

  async setClientSecret(clientId: string, clientSecret: string): Promise<void> {
    assertSecret(clientSecret);
    await this.requireClient(clientId);
    await this.directory.updateClient(clientId, { secretHash: await hashSecret(clientSecret) });
  }

  async setClientScopes(clientId: string, scopes: readonly Scope[]): Promise<void> {
    await this.requireClient(clientId);
    await this.directory.updateClient(clientId, { scopes: assertScopes(scopes) });
  }

  /** Gives a client an HTTP Basic key pair (replacing any earlier one) for dialects that authenticate that way. */
  async createApiKey(clientId: string): Promise<IssuedApiKey> {
    await this.requireClient(clientId);
    const apiKey = randomId('ak');
    const apiSecret = randomSecret();
    await this.directory.updateClient(clientId, { apiKey, apiSecretHash: await hashSecret(apiSecret) });
    return { apiKey, apiSecret };
  }

  /** The client when the id and secret match a live client; undefined for unknown, revoked or wrong secret alike. */
  async verifyClient(clientId: string, clientSecret: string): Promise<ClientRecord | undefined> {
    const client = await this.directory.findClient(clientId);
    const matches = await this.matches(clientSecret, client?.secretHash);
    return client && matches && !client.revoked ? client : undefined;
  }

  async verifyApiKey(apiKey: string, apiSecret: string): Promise<ClientRecord | undefined> {
    const client = await this.directory.findClientByApiKey(apiKey);
    const matches = await this.matches(apiSecret, client?.apiSecretHash);
    return client && matches && !client.revoked ? client : undefined;
  }

  /** A live (not revoked) client, looked up on every bearer request so revocation takes effect at once. */
  async findActiveClient(clientId: string): Promise<ClientRecord | undefined> {
    const client = await this.directory.findClient(clientId);
    return client && !client.revoked ? client : undefined;
  }

  private async matches(secret: string, storedHash: string | undefined): Promise<boolean> {
    if (storedHash === undefined) {
      this.decoyHash ??= hashSecret(randomSecret());
      await verifySecret(secret, await this.decoyHash);
      return false;
    }
    // Keyed by the stored hash too, so a changed secret never matches a remembered old one.
    const cacheKey = createHash('sha256').update(storedHash).update('\0').update(secret).digest('base64url');
    const now = Date.now();
    const until = this.verified.get(cacheKey);
    if (until !== undefined && until > now) return true;
    if (!(await verifySecret(secret, storedHash))) return false;
    if (this.verified.size >= VERIFIED_MAX_ENTRIES) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(cacheKey, now + VERIFIED_TTL_MS);
    return true;
  }

  private async requireTenant(tenant: string): Promise<void> {
    if (!(await this.directory.findTenant(tenant))) throw new AuthError('tenant_not_found', `tenant "${tenant}" does not exist`);
  }

  private async requireStore(tenant: string, storeCode: string): Promise<StoreRecord> {
    const store = await this.directory.findStore(tenant, storeCode);
    if (!store) throw new AuthError('store_not_found', `tenant "${tenant}" has no store "${storeCode}"`);
    return store;
  }

  private async requireClient(clientId: string): Promise<ClientRecord> {
    const client = await this.directory.findClient(clientId);
    if (!client) throw new AuthError('client_not_found', `client "${clientId}" does not exist`);
    return client;
  }
}
