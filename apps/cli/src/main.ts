import { parseArgs } from 'node:util';
import { ClientService, SCOPES, Scope, SqliteTenantDirectory, MongoTenantDirectory, TenantDirectory } from '@app/auth';
import { Infrastructure, loadConfig, openInfrastructure } from '@app/engine';
import { accountHistory, historyTable } from './history';
import { ProgressReporter } from './progress';
import { verifyViews } from './verify';

const USAGE = `loyalty <command>

  projections list                         the projections and their views
  projections status                       checkpoint, head, lag in events and last update of each
  projections rebuild <name> | --all       replay from position 0 into shadow views, then swap them in

  verify                                   fold every account from the event log and compare it with the
                                           accounts and lots views; exits 1 when any figure differs
  accounts history <store> <customer> [--tenant <tenant>] [--json]
                                           the account's events in order with the balance after each

  tenants create <tenant> --store <code> --currency <ISO>
  stores add <tenant> <storeCode> --currency <ISO> [--alias <id>]...
                                           --alias: another system's id for the store (a Shopware salesChannelId)
  clients create --tenant <tenant> --scopes <scope,scope,...|all> [--store <code>]
                                           prints client_id and client_secret once; --store: its default store
  clients default-store <clientId> <storeCode>
  clients api-key <clientId>               prints an API key and secret once (HTTP Basic for the External API),
                                           unless the client already has one
  clients revoke <clientId>

The profile and its stores come from the same environment as the engine
(LOYALTY_PROFILE, LOYALTY_DATA_DIR, EVENTSTORE_CONNECTION_STRING, MONGODB_URI).`;

class UsageError extends Error {}

function directoryOf(infrastructure: Infrastructure): TenantDirectory {
  return infrastructure.sqlite ? new SqliteTenantDirectory(infrastructure.sqlite) : new MongoTenantDirectory(infrastructure.mongo!);
}

function parseScopes(raw: string | undefined): Scope[] {
  if (!raw) throw new UsageError('--scopes is required');
  if (raw === 'all') return [...SCOPES];
  const scopes = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new UsageError(`unknown scope ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`);
  return scopes as Scope[];
}

async function projections(infrastructure: Infrastructure, action: string | undefined, rest: string[], all: boolean): Promise<void> {
  const { runner } = infrastructure;
  switch (action) {
    case 'list':
      for (const name of runner.list()) console.log(name);
      return;
    case 'status': {
      const rows = await runner.status();
      console.log(['projection'.padEnd(14), 'checkpoint'.padStart(12), 'head'.padStart(12), 'lag'.padStart(10), '  last update'].join(''));
      for (const row of rows) {
        console.log([row.name.padEnd(14), String(row.checkpoint).padStart(12), String(row.head).padStart(12), String(row.lag).padStart(10), `  ${row.lastUpdateAt ?? 'never'}`].join(''));
      }
      return;
    }
    case 'rebuild': {
      const name = all ? 'all' : rest[0];
      if (!name) throw new UsageError('name a projection, or --all');
      const progress = new ProgressReporter();
      const reports = await runner.rebuild(name, (p) => progress.update(p));
      progress.finish();
      for (const report of reports) {
        const rate = report.seconds > 0 ? Math.round(report.events / report.seconds) : report.events;
        console.log(`${report.name}: rebuilt from ${report.events.toLocaleString('en')} events in ${report.seconds.toFixed(2)}s (${rate.toLocaleString('en')} ev/s), live at position ${report.checkpoint}`);
      }
      return;
    }
    default:
      throw new UsageError(`unknown projections command ${action ?? ''}`);
  }
}

async function verify(infrastructure: Infrastructure): Promise<number> {
  const progress = new ProgressReporter();
  const report = await verifyViews(infrastructure, (p) => progress.update(p));
  progress.finish();
  console.log(
    `verified ${report.accounts.toLocaleString('en')} accounts and ${report.lots.toLocaleString('en')} lots ` +
      `from ${report.events.toLocaleString('en')} events (up to position ${report.position})`,
  );
  if (!report.differences.length) {
    console.log('views agree with the event log');
    return 0;
  }
  console.log(`${report.differences.length} difference(s) between the views and the event log:`);
  for (const difference of report.differences) {
    console.log(`  ${difference.account}  ${difference.field}: view ${difference.view}, ledger ${difference.ledger}`);
  }
  console.log('rebuild the affected projections (projections rebuild accounts | lots) once the cause is understood');
  return 1;
}

async function accounts(infrastructure: Infrastructure, action: string | undefined, rest: string[], values: Record<string, string | string[] | boolean | undefined>): Promise<number> {
  if (action !== 'history') throw new UsageError(`unknown accounts command ${action ?? ''}`);
  const [storeCode, customerId] = rest;
  if (!storeCode || !customerId) throw new UsageError('accounts history <store> <customer> [--tenant <tenant>] [--json]');
  const tenant = typeof values.tenant === 'string' ? values.tenant : 'default';
  const entries = await accountHistory(infrastructure, tenant, storeCode, customerId);
  if (!entries.length) {
    console.error(`no points account for customer ${customerId} in store ${storeCode} of tenant ${tenant}`);
    return 1;
  }
  console.log(values.json ? JSON.stringify(entries, null, 2) : historyTable(entries));
  return 0;
}

async function tenancy(infrastructure: Infrastructure, group: string, action: string | undefined, rest: string[], values: Record<string, string | string[] | boolean | undefined>): Promise<void> {
  const directory = directoryOf(infrastructure);
  await directory.ensureSchema();
  const clients = new ClientService(directory);
  const currency = () => {
    const value = values.currency;
    if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value)) throw new UsageError('--currency must be an ISO 4217 code such as EUR');
    return value;
  };
  if (group === 'tenants' && action === 'create') {
    const tenant = rest[0];
    if (!tenant) throw new UsageError('name the tenant');
    const { created } = await clients.createTenant(tenant);
    console.log(created ? `tenant ${tenant} created` : `tenant ${tenant} already exists`);
    if (typeof values.store === 'string') {
      const store = await clients.addStore(tenant, values.store, currency());
      console.log(store.created ? `store ${values.store} added` : `store ${values.store} already exists`);
    }
    return;
  }
  if (group === 'stores' && action === 'add') {
    const [tenant, storeCode] = rest;
    if (!tenant || !storeCode) throw new UsageError('stores add <tenant> <storeCode> --currency <ISO> [--alias <id>]');
    const aliases = (values.alias as string[] | undefined) ?? [];
    // an existing store may be given aliases without restating its currency
    const existing = aliases.length > 0 && values.currency === undefined ? await directory.findStore(tenant, storeCode) : undefined;
    if (!existing) {
      const store = await clients.addStore(tenant, storeCode, currency());
      console.log(store.created ? `store ${storeCode} added to ${tenant}` : `store ${storeCode} already exists`);
    }
    for (const alias of aliases) {
      const { created } = await clients.addStoreAlias(tenant, storeCode, alias);
      console.log(created ? `alias ${alias} names store ${storeCode}` : `alias ${alias} already names store ${storeCode}`);
    }
    return;
  }
  if (group === 'clients' && action === 'default-store') {
    const [clientId, storeCode] = rest;
    if (!clientId || !storeCode) throw new UsageError('clients default-store <clientId> <storeCode>');
    await clients.setDefaultStore(clientId, storeCode);
    console.log(`client ${clientId} now defaults to store ${storeCode}`);
    return;
  }
  if (group === 'clients' && action === 'create') {
    if (typeof values.tenant !== 'string') throw new UsageError('--tenant is required');
    const defaultStore = typeof values.store === 'string' ? { defaultStore: values.store } : {};
    const issued = await clients.createClient(values.tenant, parseScopes(values.scopes as string | undefined), defaultStore);
    console.log(`client_id=${issued.clientId}`);
    console.log(`client_secret=${issued.clientSecret}`);
    console.log('the secret is shown once and stored only as a hash: keep it now');
    return;
  }
  if (group === 'clients' && action === 'api-key') {
    const clientId = rest[0];
    if (!clientId) throw new UsageError('clients api-key <clientId>');
    const client = await directory.findClient(clientId);
    if (!client) throw new Error(`client ${clientId} not found`);
    // the secret is kept only as a hash: a second key would silently replace the one integrations use
    if (client.apiKey) throw new Error(`client ${clientId} already has API key ${client.apiKey}; its secret was shown once, when it was created`);
    const issued = await clients.createApiKey(clientId);
    console.log(`api_key=${issued.apiKey}`);
    console.log(`api_secret=${issued.apiSecret}`);
    console.log('the secret is shown once and stored only as a hash: keep it now');
    return;
  }
  if (group === 'clients' && action === 'revoke') {
    if (!rest[0]) throw new UsageError('name the client id');
    await clients.revokeClient(rest[0]);
    console.log(`client ${rest[0]} revoked`);
    return;
  }
  throw new UsageError(`unknown command ${group} ${action ?? ''}`);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      all: { type: 'boolean' },
      store: { type: 'string' },
      currency: { type: 'string' },
      tenant: { type: 'string' },
      scopes: { type: 'string' },
      alias: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, action, ...rest] = positionals;
  if (values.help || !group) {
    console.log(USAGE);
    return group || values.help ? 0 : 2;
  }
  const infrastructure = await openInfrastructure(loadConfig(process.env, 'cli'));
  try {
    if (group === 'projections') await projections(infrastructure, action, rest, Boolean(values.all));
    else if (group === 'verify') return await verify(infrastructure);
    else if (group === 'accounts') return await accounts(infrastructure, action, rest, values);
    else await tenancy(infrastructure, group, action, rest, values);
    return 0;
  } finally {
    await infrastructure.close();
  }
}

if (require.main === module || process.argv[1]?.endsWith('loyalty.js')) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : error instanceof Error ? error.message : String(error));
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
