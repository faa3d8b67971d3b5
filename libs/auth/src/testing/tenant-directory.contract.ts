import { bootstrapAuth } from '../bootstrap';
import { ClientService } from '../client.service';
import { SCOPES } from '../scopes';
import type { TenantDirectory } from '../tenant-directory.port';

export interface DirectoryHarness {
  directory: TenantDirectory;
  /** a second handle on the same storage, as a restarted process would open it */
  reopen(): Promise<TenantDirectory>;
  dispose(): Promise<void>;
}

const createdAt = '2026-01-01T00:00:00.000Z';
const bootstrapEnv = {
  LOYALTY_BOOTSTRAP_CLIENT_ID: 'ops-client',
  LOYALTY_BOOTSTRAP_CLIENT_SECRET: 'ops-secret-0123456789',
};

/** The behaviour every TenantDirectory adapter must show; each adapter's spec runs it against a real server. */
export function tenantDirectoryContract(open: () => Promise<DirectoryHarness>): void {
  let harness: DirectoryHarness;
  let directory: TenantDirectory;
  let clients: ClientService;

  beforeEach(async () => {
    harness = await open();
    directory = harness.directory;
    await directory.ensureSchema();
    clients = new ClientService(directory);
  });

  afterEach(() => harness.dispose());

  it('ensureSchema can run again on an existing registry', async () => {
    await expect(directory.ensureSchema()).resolves.toBeUndefined();
  });

  it('inserting a tenant twice creates it once', async () => {
    await expect(directory.insertTenant({ id: 't1', createdAt })).resolves.toBe(true);
    await expect(directory.insertTenant({ id: 't1', createdAt })).resolves.toBe(false);
    await expect(directory.findTenant('t1')).resolves.toEqual({ id: 't1', createdAt });
    await expect(directory.findTenant('t2')).resolves.toBeUndefined();
  });

  it('a store code is unique within its tenant; two tenants may each have the same code', async () => {
    await directory.insertTenant({ id: 't1', createdAt });
    await directory.insertTenant({ id: 't2', createdAt });
    await expect(directory.insertStore({ storeCode: 'main', tenant: 't1', currency: 'EUR', createdAt })).resolves.toBe(true);
    await expect(directory.insertStore({ storeCode: 'main', tenant: 't1', currency: 'PLN', createdAt })).resolves.toBe(false);
    await expect(directory.insertStore({ storeCode: 'main', tenant: 't2', currency: 'PLN', createdAt })).resolves.toBe(true);
    await expect(directory.findStore('t1', 'main')).resolves.toEqual({ storeCode: 'main', tenant: 't1', currency: 'EUR', createdAt });
    await expect(directory.findStore('t2', 'main')).resolves.toEqual({ storeCode: 'main', tenant: 't2', currency: 'PLN', createdAt });
    await expect(directory.findStore('t3', 'main')).resolves.toBeUndefined();
    await directory.insertStore({ storeCode: 'OTHER', tenant: 't1', currency: 'EUR', createdAt });
    await expect(directory.listStores('t1')).resolves.toHaveLength(2);
    await expect(directory.listStores('t2')).resolves.toHaveLength(1);
  });

  it('a store alias names one store within its tenant', async () => {
    await expect(directory.insertStoreAlias('t1', '98432def39fc4624b33213a56b8c944d', 'main')).resolves.toBe(true);
    await expect(directory.insertStoreAlias('t1', '98432def39fc4624b33213a56b8c944d', 'OTHER')).resolves.toBe(false);
    await expect(directory.insertStoreAlias('t2', '98432def39fc4624b33213a56b8c944d', 'main')).resolves.toBe(true);
    await expect(directory.findStoreAlias('t1', '98432def39fc4624b33213a56b8c944d')).resolves.toBe('main');
    await expect(directory.findStoreAlias('t1', 'unknown')).resolves.toBeUndefined();
    await expect(directory.findStoreAlias('t3', '98432def39fc4624b33213a56b8c944d')).resolves.toBeUndefined();
  });

  it('clients are stored, updated, found by API key and counted', async () => {
    await directory.insertTenant({ id: 't1', createdAt });
    const client = { clientId: 'c1', tenant: 't1', scopes: ['points:read' as const], secretHash: 'h1', revoked: false, createdAt };
    await expect(directory.insertClient(client)).resolves.toBe(true);
    await expect(directory.insertClient(client)).resolves.toBe(false);
    await expect(directory.findClient('c1')).resolves.toEqual(client);
    await directory.updateClient('c1', { scopes: ['points:read', 'points:write'], revoked: true, apiKey: 'ak_1', apiSecretHash: 'h2' });
    const updated = { ...client, scopes: ['points:read', 'points:write'], revoked: true, apiKey: 'ak_1', apiSecretHash: 'h2' };
    await expect(directory.findClient('c1')).resolves.toEqual(updated);
    await expect(directory.findClientByApiKey('ak_1')).resolves.toEqual(updated);
    await expect(directory.findClientByApiKey('ak_2')).resolves.toBeUndefined();
    await expect(directory.listClients('t1')).resolves.toEqual([updated]);
    await expect(directory.countClients()).resolves.toBe(1);
  });

  it('a setting keeps its first value across writers and restarts', async () => {
    await expect(directory.ensureSetting('k', 'first')).resolves.toBe('first');
    await expect(directory.ensureSetting('k', 'second')).resolves.toBe('first');
    const reopened = await harness.reopen();
    await expect(reopened.ensureSetting('k', 'third')).resolves.toBe('first');
  });

  describe('ClientService on this adapter', () => {
    beforeEach(async () => {
      await clients.createTenant('t1');
      await clients.createTenant('t2');
    });

    it('a client secret is shown once and verifies; a wrong one does not', async () => {
      const { clientId, clientSecret } = await clients.createClient('t1', ['points:read']);
      expect((await directory.findClient(clientId))?.secretHash).not.toContain(clientSecret);
      await expect(clients.verifyClient(clientId, clientSecret)).resolves.toMatchObject({ clientId, tenant: 't1' });
      await expect(clients.verifyClient(clientId, `${clientSecret}x`)).resolves.toBeUndefined();
      await expect(clients.verifyClient('nobody', clientSecret)).resolves.toBeUndefined();
    });

    it('a revoked client no longer verifies', async () => {
      const { clientId, clientSecret } = await clients.createClient('t1', ['points:read']);
      await clients.verifyClient(clientId, clientSecret);
      await clients.revokeClient(clientId);
      await expect(clients.verifyClient(clientId, clientSecret)).resolves.toBeUndefined();
    });

    it('a client revoked or narrowed through another handle (another process: the CLI) is seen on the next lookup', async () => {
      const { clientId } = await clients.createClient('t1', ['points:read', 'points:write']);
      await expect(clients.findActiveClient(clientId)).resolves.toMatchObject({ scopes: ['points:read', 'points:write'] });
      const elsewhere = new ClientService(await harness.reopen());
      await elsewhere.setClientScopes(clientId, ['points:read']);
      await expect(clients.findActiveClient(clientId)).resolves.toMatchObject({ scopes: ['points:read'] });
      await elsewhere.revokeClient(clientId);
      await expect(clients.findActiveClient(clientId)).resolves.toBeUndefined();
      // and a client created elsewhere after an unknown id was looked up here
      await expect(directory.findClient('late-client')).resolves.toBeUndefined();
      await elsewhere.createClient('t1', ['points:read'], { clientId: 'late-client' });
      await expect(directory.findClient('late-client')).resolves.toMatchObject({ clientId: 'late-client' });
    });

    it('an API key pair verifies as the same client with the same scopes', async () => {
      const { clientId } = await clients.createClient('t1', ['points:read', 'customers:read']);
      const { apiKey, apiSecret } = await clients.createApiKey(clientId);
      await expect(clients.verifyApiKey(apiKey, apiSecret)).resolves.toMatchObject({ clientId, scopes: ['points:read', 'customers:read'] });
      await expect(clients.verifyApiKey(apiKey, 'wrong-secret-value-123')).resolves.toBeUndefined();
    });

    it('adding the same store to its tenant again is a no-op; another tenant may use the same code', async () => {
      await expect(clients.addStore('t1', 'SHOP', 'EUR')).resolves.toMatchObject({ created: true });
      await expect(clients.addStore('t1', 'SHOP', 'EUR')).resolves.toMatchObject({ created: false });
      await expect(clients.addStore('t2', 'SHOP', 'PLN')).resolves.toMatchObject({ created: true, store: { tenant: 't2', currency: 'PLN' } });
    });

    it('store aliases: one store per alias, the same alias again is a no-op, an unknown store is refused', async () => {
      await clients.addStore('t1', 'SHOP', 'EUR');
      await clients.addStore('t1', 'SHOP2', 'EUR');
      await expect(clients.addStoreAlias('t1', 'SHOP', 'channel-1')).resolves.toEqual({ created: true });
      await expect(clients.addStoreAlias('t1', 'SHOP', 'channel-1')).resolves.toEqual({ created: false });
      await expect(clients.addStoreAlias('t1', 'SHOP2', 'channel-1')).rejects.toMatchObject({ name: 'AuthError', code: 'alias_taken' });
      await expect(clients.addStoreAlias('t1', 'NOPE', 'channel-2')).rejects.toMatchObject({ name: 'AuthError', code: 'store_not_found' });
      await expect(clients.addStoreAlias('t1', 'SHOP', 'has space')).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_identifier' });
    });

    it('a client may have a default store of its own tenant', async () => {
      await clients.addStore('t1', 'SHOP', 'EUR');
      await clients.addStore('t2', 'ELSEWHERE', 'EUR');
      const { clientId } = await clients.createClient('t1', ['points:read'], { defaultStore: 'SHOP' });
      await expect(directory.findClient(clientId)).resolves.toMatchObject({ defaultStore: 'SHOP' });
      await expect(clients.createClient('t1', ['points:read'], { defaultStore: 'ELSEWHERE' })).rejects.toMatchObject({ code: 'store_not_found' });
      const other = await clients.createClient('t1', ['points:read']);
      await expect(directory.findClient(other.clientId)).resolves.not.toHaveProperty('defaultStore');
      await clients.setDefaultStore(other.clientId, 'SHOP');
      await expect(directory.findClient(other.clientId)).resolves.toMatchObject({ defaultStore: 'SHOP' });
    });

    it('refuses unknown tenants, unsafe store codes and unknown scopes', async () => {
      await expect(clients.createClient('nope', ['points:read'])).rejects.toMatchObject({ name: 'AuthError', code: 'tenant_not_found' });
      await expect(clients.addStore('t1', 'a:b', 'EUR')).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_identifier' });
      await expect(clients.addStore('t1', 'SHOP2', 'euro')).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_currency' });
      await expect(clients.createClient('t1', [])).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_scope' });
    });
  });

  describe('bootstrapAuth on this adapter', () => {
    it('creates the env-declared tenant, store and all-scopes client once, then changes nothing', async () => {
      const first = await bootstrapAuth(directory, bootstrapEnv);
      expect(first).toMatchObject({ tenant: 'default', storeCode: 'DEFAULT', tenantCreated: true, storeCreated: true });
      expect(first.configuredClient).toMatchObject({ clientId: 'ops-client', created: true });
      const again = await bootstrapAuth(await harness.reopen(), bootstrapEnv);
      expect(again).toMatchObject({ tenantCreated: false, storeCreated: false });
      expect(again.configuredClient).toEqual({ clientId: 'ops-client', created: false, secretUpdated: false, scopesUpdated: false, revoked: false });
      await expect(clients.verifyClient('ops-client', bootstrapEnv.LOYALTY_BOOTSTRAP_CLIENT_SECRET)).resolves.toMatchObject({ scopes: [...SCOPES] });
      await expect(directory.countClients()).resolves.toBe(1);
    });

    it('a changed bootstrap secret replaces the stored hash', async () => {
      await bootstrapAuth(directory, bootstrapEnv);
      const changed = { ...bootstrapEnv, LOYALTY_BOOTSTRAP_CLIENT_SECRET: 'rotated-secret-0123456789' };
      await expect(bootstrapAuth(directory, changed)).resolves.toMatchObject({ configuredClient: { secretUpdated: true } });
      await expect(clients.verifyClient('ops-client', 'rotated-secret-0123456789')).resolves.toBeDefined();
      await expect(clients.verifyClient('ops-client', bootstrapEnv.LOYALTY_BOOTSTRAP_CLIENT_SECRET)).resolves.toBeUndefined();
    });

    it('honours LOYALTY_BOOTSTRAP_TENANT and LOYALTY_BOOTSTRAP_STORE', async () => {
      const result = await bootstrapAuth(directory, { ...bootstrapEnv, LOYALTY_BOOTSTRAP_TENANT: 'acme', LOYALTY_BOOTSTRAP_STORE: 'ACME_EU' });
      expect(result).toMatchObject({ tenant: 'acme', storeCode: 'ACME_EU' });
      await expect(directory.findStore('acme', 'ACME_EU')).resolves.toMatchObject({ tenant: 'acme' });
      await expect(directory.findClient('ops-client')).resolves.toMatchObject({ tenant: 'acme', defaultStore: 'ACME_EU' });
    });

    it('first start of the embedded profile generates one all-scopes client, and never again', async () => {
      const first = await bootstrapAuth(directory, {}, { firstStartGeneratesClient: true });
      expect(first.generatedClient).toBeDefined();
      const { clientId, clientSecret } = first.generatedClient as { clientId: string; clientSecret: string };
      await expect(clients.verifyClient(clientId, clientSecret)).resolves.toMatchObject({ tenant: 'default', scopes: [...SCOPES] });
      const second = await bootstrapAuth(directory, {}, { firstStartGeneratesClient: true });
      expect(second.generatedClient).toBeUndefined();
      await expect(directory.countClients()).resolves.toBe(1);
    });

    it('without the embedded option and without env, nothing is created', async () => {
      await expect(bootstrapAuth(directory, {})).resolves.toMatchObject({ tenantCreated: false, storeCreated: false });
      await expect(directory.countClients()).resolves.toBe(0);
    });

    it('refuses a half-configured bootstrap client', async () => {
      await expect(bootstrapAuth(directory, { LOYALTY_BOOTSTRAP_CLIENT_ID: 'only-id' })).rejects.toMatchObject({ name: 'AuthError', code: 'invalid_config' });
    });
  });
}
