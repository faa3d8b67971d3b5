import { resolve } from 'node:path';

export type Profile = 'embedded' | 'distributed';

export interface EngineConfig {
  profile: Profile;
  /** embedded: folder of the SQLite file */
  dataDir: string;
  sqlitePath: string;
  /** distributed */
  eventStoreConnectionString?: string;
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
  /** largest XML import file accepted, in bytes (it streams to a spool file, so it may exceed bodyLimitBytes) */
  importMaxBytes: number;
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
  const dataDir = resolve(env.LOYALTY_DATA_DIR ?? 'data');
  const config: EngineConfig = {
    profile,
    dataDir,
    sqlitePath: env.LOYALTY_SQLITE_PATH ? resolve(env.LOYALTY_SQLITE_PATH) : resolve(dataDir, 'loyalty.db'),
    eventStoreConnectionString: env.EVENTSTORE_CONNECTION_STRING,
    mongoUri: env.MONGODB_URI,
    mongoDatabase: env.MONGODB_DATABASE ?? 'loyalty',
    host: env.HOST ?? '127.0.0.1',
    port: integer(env, 'PORT', 3000),
    schedulerIntervalMs: integer(env, 'LOYALTY_SCHEDULER_INTERVAL_MS', 60_000),
    runProjector: flag(env, 'LOYALTY_RUN_PROJECTOR', profile === 'embedded'),
    runScheduler: flag(env, 'LOYALTY_RUN_SCHEDULER', true),
    bodyLimitBytes: integer(env, 'LOYALTY_BODY_LIMIT_BYTES', 1024 * 1024),
    // 100,000 items take about 20 MB; 256 MiB leaves room and still bounds the spool file
    importMaxBytes: integer(env, 'LOYALTY_IMPORT_MAX_BYTES', 256 * 1024 * 1024),
  };
  if (profile === 'distributed') {
    if (!config.eventStoreConnectionString) throw new ConfigError('the distributed profile needs EVENTSTORE_CONNECTION_STRING');
    if (!config.mongoUri) throw new ConfigError('the distributed profile needs MONGODB_URI');
  }
  return config;
}
