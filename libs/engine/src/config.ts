import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { validatePostgresSchema } from '@app/event-store';

export type Profile = 'embedded' | 'distributed';
/** where the distributed profile keeps its events */
export type DistributedEventStore = 'eventstoredb' | 'postgres';
const DISTRIBUTED_EVENT_STORES: readonly DistributedEventStore[] = ['eventstoredb', 'postgres'];

export interface EngineConfig {
  profile: Profile;
  /** embedded: folder of the SQLite file */
  dataDir: string;
  sqlitePath: string;
  /** distributed: which event store (LOYALTY_EVENT_STORE); eventstoredb unless told otherwise */
  eventStore: DistributedEventStore;
  /** distributed on EventStoreDB */
  eventStoreConnectionString?: string;
  /** distributed on PostgreSQL: postgres://user:password@host:port/database */
  databaseUrl?: string;
  /** distributed on PostgreSQL: schema of the events table, created on first start */
  postgresSchema: string;
  /** distributed */
  mongoUri?: string;
  mongoDatabase: string;
  host: string;
  port: number;
  /** how often the scheduler looks for due activations and expiries */
  schedulerIntervalMs: number;
  /** run projections inside the API process (embedded default; distributed uses apps/projector) */
  runProjector: boolean;
  runScheduler: boolean;
  /** largest request body accepted, in bytes */
  bodyLimitBytes: number;
  /** embedded profile: appends are refused (503) while the data folder's disk has less free space, so views keep room to catch up */
  minFreeBytes: number;
  /** largest XML import file accepted, in bytes (it streams to a spool file, so it may exceed bodyLimitBytes) */
  importMaxBytes: number;
  /** serve HTTPS with this PEM certificate (chain) and private key, both given or neither */
  tls?: { certPath: string; keyPath: string };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const profile = (env.LOYALTY_PROFILE ?? 'embedded') as Profile;
  if (profile !== 'embedded' && profile !== 'distributed') {
    throw new ConfigError(`LOYALTY_PROFILE must be "embedded" or "distributed", got "${profile}"`);
  }
  const eventStore = (env.LOYALTY_EVENT_STORE || 'eventstoredb') as DistributedEventStore;
  if (!DISTRIBUTED_EVENT_STORES.includes(eventStore)) {
    throw new ConfigError(`LOYALTY_EVENT_STORE must be "eventstoredb" or "postgres", got "${eventStore}"`);
  }
  if (profile === 'embedded' && env.LOYALTY_EVENT_STORE) {
    throw new ConfigError('LOYALTY_EVENT_STORE applies to the distributed profile; the embedded profile keeps its events in its SQLite file');
  }
  const dataDir = resolve(env.LOYALTY_DATA_DIR ?? 'data');
  const config: EngineConfig = {
    profile,
    dataDir,
    sqlitePath: env.LOYALTY_SQLITE_PATH ? resolve(env.LOYALTY_SQLITE_PATH) : resolve(dataDir, 'loyalty.db'),
    eventStore,
    eventStoreConnectionString: env.EVENTSTORE_CONNECTION_STRING,
    databaseUrl: env.DATABASE_URL,
    postgresSchema: env.LOYALTY_POSTGRES_SCHEMA || 'loyalty',
    mongoUri: env.MONGODB_URI,
    mongoDatabase: env.MONGODB_DATABASE ?? 'loyalty',
    host: env.HOST ?? '127.0.0.1',
    port: integer(env, 'PORT', 3000),
    schedulerIntervalMs: integer(env, 'LOYALTY_SCHEDULER_INTERVAL_MS', 60_000),
    runProjector: flag(env, 'LOYALTY_RUN_PROJECTOR', profile === 'embedded'),
    runScheduler: flag(env, 'LOYALTY_RUN_SCHEDULER', true),
    bodyLimitBytes: integer(env, 'LOYALTY_BODY_LIMIT_BYTES', 1024 * 1024),
    minFreeBytes: integer(env, 'LOYALTY_MIN_FREE_BYTES', 16 * 1024 * 1024),
    // 100,000 items take about 20 MB; 256 MiB leaves room and still bounds the spool file
    importMaxBytes: integer(env, 'LOYALTY_IMPORT_MAX_BYTES', 256 * 1024 * 1024),
  };
  const certPath = env.LOYALTY_TLS_CERT || undefined;
  const keyPath = env.LOYALTY_TLS_KEY || undefined;
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new ConfigError('HTTPS needs both LOYALTY_TLS_CERT and LOYALTY_TLS_KEY (PEM file paths); only one is set');
  }
  if (certPath && keyPath) config.tls = { certPath: resolve(certPath), keyPath: resolve(keyPath) };
  if (profile === 'distributed') {
    if (eventStore === 'eventstoredb' && !config.eventStoreConnectionString) {
      throw new ConfigError('the distributed profile on EventStoreDB needs EVENTSTORE_CONNECTION_STRING (or LOYALTY_EVENT_STORE=postgres with DATABASE_URL)');
    }
    if (eventStore === 'postgres') checkPostgres(config);
    if (!config.mongoUri) throw new ConfigError('the distributed profile needs MONGODB_URI');
  }
  return config;
}

function checkPostgres(config: EngineConfig): void {
  if (!config.databaseUrl) {
    throw new ConfigError('the distributed profile on PostgreSQL (LOYALTY_EVENT_STORE=postgres) needs DATABASE_URL, e.g. postgres://loyalty:secret@db:5432/loyalty');
  }
  let protocol: string;
  try {
    protocol = new URL(config.databaseUrl).protocol;
  } catch {
    // the URL itself is not repeated: it may hold a password
    throw new ConfigError('DATABASE_URL is not a URL; expected postgres://user:password@host:port/database');
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got ${protocol}//`);
  }
  try {
    validatePostgresSchema(config.postgresSchema);
  } catch (error) {
    throw new ConfigError(`LOYALTY_POSTGRES_SCHEMA: ${(error as Error).message}`);
  }
}

/** The certificate and key HTTPS serves, read and checked to belong together; a ConfigError names what is wrong. */
export function loadTlsCredentials(tls: { certPath: string; keyPath: string }): { cert: Buffer; key: Buffer } {
  const read = (variable: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  const cert = read('LOYALTY_TLS_CERT', tls.certPath);
  const key = read('LOYALTY_TLS_KEY', tls.keyPath);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(`LOYALTY_TLS_CERT ${tls.certPath} and LOYALTY_TLS_KEY ${tls.keyPath} are not a PEM certificate and its private key: ${(error as Error).message}`);
  }
  return { cert, key };
}
