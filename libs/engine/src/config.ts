import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { validatePostgresSchema } from '@app/event-store';

export type Profile = 'embedded' | 'distributed';
/** which program reads the config: where background work runs by default depends on it */
export type ProcessRole = 'api' | 'projector' | 'cli';
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
  role: ProcessRole;
  /** run every projection in this process (embedded API, projector) */
  runProjector: boolean;
  /** run the event consumers (p2p process manager) in this process (embedded API, projector) */
  runConsumers: boolean;
  /** compete for the scheduler lease and run the scheduler while holding it (embedded API, projector) */
  runScheduler: boolean;
  /** how long a scheduler lease lasts unless renewed; a dead holder's lease is taken over after it */
  schedulerLeaseMs: number;
  /**
   * what a read waits for before it answers: `own-appends`, what this process appended (one writer:
   * the embedded profile); `head`, the event store's head as the read began, so a read on one replica
   * sees a write acknowledged by another (the distributed profile)
   */
  readsWaitFor: 'own-appends' | 'head';
  /** largest request body accepted, in bytes */
  bodyLimitBytes: number;
  /** embedded profile: appends are refused (503) while the data folder's disk has less free space, so views keep room to catch up */
  minFreeBytes: number;
  /** largest XML import file accepted, in bytes (it streams to a spool file, so it may exceed bodyLimitBytes) */
  importMaxBytes: number;
  /** serve HTTPS with this PEM certificate (chain) and private key, both given or neither */
  tls?: { certPath: string; keyPath: string };
  /** smtp://user:pass@host:port: e-mail notifications are delivered through it; none are sent when absent */
  smtpUrl?: string;
  /** the From of notification e-mails */
  mailFrom: string;
  /** a webhook receiver that has not answered by then counts as failed */
  webhookTimeoutMs: number;
  /** how often the webhook dispatcher looks for due retries when no new event wakes it */
  webhookTickMs: number;
  /** SSE: a comment line after this much quiet keeps proxies from closing the stream */
  sseHeartbeatMs: number;
  /** SSE: a reader that has not taken the last write within this time is dropped (it resumes from its cursor) */
  sseSlowReaderMs: number;
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

/**
 * Reads the environment of one process. Background work (projections, consumers, scheduler) runs in
 * the embedded API and in the projector; distributed API replicas only serve requests.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, role: ProcessRole = 'api'): EngineConfig {
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
  const background = role === 'projector' || (role === 'api' && profile === 'embedded');
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
    role,
    runProjector: flag(env, 'LOYALTY_RUN_PROJECTOR', background),
    runConsumers: flag(env, 'LOYALTY_RUN_CONSUMERS', background),
    runScheduler: flag(env, 'LOYALTY_RUN_SCHEDULER', background),
    schedulerLeaseMs: integer(env, 'LOYALTY_SCHEDULER_LEASE_MS', 30_000),
    readsWaitFor: profile === 'distributed' ? 'head' : 'own-appends',
    bodyLimitBytes: integer(env, 'LOYALTY_BODY_LIMIT_BYTES', 1024 * 1024),
    minFreeBytes: integer(env, 'LOYALTY_MIN_FREE_BYTES', 16 * 1024 * 1024),
    // 100,000 items take about 20 MB; 256 MiB leaves room and still bounds the spool file
    importMaxBytes: integer(env, 'LOYALTY_IMPORT_MAX_BYTES', 256 * 1024 * 1024),
    smtpUrl: env.LOYALTY_SMTP_URL || undefined,
    mailFrom: env.LOYALTY_MAIL_FROM || 'loyalty@localhost',
    webhookTimeoutMs: integer(env, 'LOYALTY_WEBHOOK_TIMEOUT_MS', 10_000),
    webhookTickMs: integer(env, 'LOYALTY_WEBHOOK_TICK_MS', 200),
    sseHeartbeatMs: integer(env, 'LOYALTY_SSE_HEARTBEAT_MS', 15_000),
    sseSlowReaderMs: integer(env, 'LOYALTY_SSE_SLOW_READER_MS', 10_000),
  };
  const certPath = env.LOYALTY_TLS_CERT || undefined;
  const keyPath = env.LOYALTY_TLS_KEY || undefined;
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new ConfigError('HTTPS needs both LOYALTY_TLS_CERT and LOYALTY_TLS_KEY (PEM file paths); only one is set');
  }
  if (certPath && keyPath) config.tls = { certPath: resolve(certPath), keyPath: resolve(keyPath) };
  if (config.smtpUrl !== undefined) checkSmtpUrl(config.smtpUrl);
  if (profile === 'distributed') {
    if (eventStore === 'eventstoredb' && !config.eventStoreConnectionString) {
      throw new ConfigError('the distributed profile on EventStoreDB needs EVENTSTORE_CONNECTION_STRING (or LOYALTY_EVENT_STORE=postgres with DATABASE_URL)');
    }
    if (eventStore === 'postgres') checkPostgres(config);
    if (!config.mongoUri) throw new ConfigError('the distributed profile needs MONGODB_URI');
  }
  if (config.runScheduler && config.schedulerLeaseMs < 1_000) {
    throw new ConfigError(`LOYALTY_SCHEDULER_LEASE_MS must be at least 1000 (renewed every third of it), got ${config.schedulerLeaseMs}`);
  }
  return config;
}

function checkSmtpUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // the URL itself is not repeated: it may hold a password
    throw new ConfigError('LOYALTY_SMTP_URL is not a URL; expected smtp://user:password@host:port or smtps://...');
  }
  if (protocol !== 'smtp:' && protocol !== 'smtps:') throw new ConfigError(`LOYALTY_SMTP_URL must start with smtp:// or smtps://, got ${protocol}//`);
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
