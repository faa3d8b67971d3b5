import { systemClock, type Clock } from '@app/ledger/clock';
import { ClientService } from './client.service';
import { AuthError } from './errors';
import { SCOPES } from './scopes';
import { verifySecret } from './secrets';
import type { TenantDirectory } from './tenant-directory.port';

export interface BootstrapOptions {
  /** embedded profile: with no bootstrap env and no clients at all, mint one random all-scopes client */
  firstStartGeneratesClient?: boolean;
  clock?: Clock;
}

export interface BootstrapResult {
  tenant: string;
  storeCode: string;
  tenantCreated: boolean;
  storeCreated: boolean;
  /** the env-declared client: whether this start created it or changed its secret or scopes */
  configuredClient?: { clientId: string; created: boolean; secretUpdated: boolean; scopesUpdated: boolean; revoked: boolean };
  /** a first-start client; the app prints it once, it is never retrievable again */
  generatedClient?: { clientId: string; clientSecret: string };
}

const ALL_SCOPES = [...SCOPES];

/**
 * Makes sure the operator can authenticate after startup. Idempotent: run it on every start.
 * With LOYALTY_BOOTSTRAP_CLIENT_ID/SECRET the env is the source of truth for that client's secret and scopes
 * (a revoked bootstrap client stays revoked: revocation is an operator decision the env must not undo).
 */
export async function bootstrapAuth(
  directory: TenantDirectory,
  env: NodeJS.ProcessEnv,
  options: BootstrapOptions = {},
): Promise<BootstrapResult> {
  await directory.ensureSchema();
  const clientId = env.LOYALTY_BOOTSTRAP_CLIENT_ID || undefined;
  const clientSecret = env.LOYALTY_BOOTSTRAP_CLIENT_SECRET || undefined;
  const tenant = env.LOYALTY_BOOTSTRAP_TENANT || 'default';
  const storeCode = env.LOYALTY_BOOTSTRAP_STORE || 'DEFAULT';
  const currency = env.LOYALTY_BOOTSTRAP_CURRENCY || 'EUR';
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    throw new AuthError('invalid_config', 'set both LOYALTY_BOOTSTRAP_CLIENT_ID and LOYALTY_BOOTSTRAP_CLIENT_SECRET, or neither');
  }
  const clients = new ClientService(directory, options.clock ?? systemClock);
  const result: BootstrapResult = { tenant, storeCode, tenantCreated: false, storeCreated: false };

  if (clientId === undefined || clientSecret === undefined) {
    if (!options.firstStartGeneratesClient || (await directory.countClients()) > 0) return result;
    await ensureTenantAndStore(clients, result, currency);
    result.generatedClient = await clients.createClient(tenant, ALL_SCOPES, { defaultStore: storeCode });
    return result;
  }

  await ensureTenantAndStore(clients, result, currency);
  const existing = await directory.findClient(clientId);
  if (!existing) {
    await clients.createClient(tenant, ALL_SCOPES, { clientId, clientSecret, defaultStore: storeCode });
    result.configuredClient = { clientId, created: true, secretUpdated: false, scopesUpdated: false, revoked: false };
    return result;
  }
  if (existing.tenant !== tenant) {
    throw new AuthError('invalid_config', `bootstrap client "${clientId}" belongs to tenant "${existing.tenant}", not "${tenant}"`);
  }
  const secretUpdated = !(await verifySecret(clientSecret, existing.secretHash));
  if (secretUpdated) await clients.setClientSecret(clientId, clientSecret);
  const scopesUpdated = existing.scopes.length !== ALL_SCOPES.length;
  if (scopesUpdated) await clients.setClientScopes(clientId, ALL_SCOPES);
  // clients made before default stores existed get the bootstrap store as theirs
  if (existing.defaultStore === undefined) await clients.setDefaultStore(clientId, storeCode);
  result.configuredClient = { clientId, created: false, secretUpdated, scopesUpdated, revoked: existing.revoked };
  return result;
}

async function ensureTenantAndStore(clients: ClientService, result: BootstrapResult, currency: string): Promise<void> {
  result.tenantCreated = (await clients.createTenant(result.tenant)).created;
  result.storeCreated = (await clients.addStore(result.tenant, result.storeCode, currency)).created;
}
