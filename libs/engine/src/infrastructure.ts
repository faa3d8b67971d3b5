import { IDEMPOTENCY_FINISHING_EVENTS } from './idempotency';
import { EventStore, EventStoreDbEventStore, openSqlite, PostgresEventStore, SqliteEventStore } from '@app/event-store';
import type { SqliteDatabase } from '@app/event-store';
import {
  MongoProjectionStore,
  MongoReadModels,
  ProjectionRunner,
  ProjectionStore,
  ReadModelQueries,
  SqliteProjectionStore,
  SqliteReadModels,
} from '@app/read-models';
import { Db, MongoClient } from 'mongodb';
import { dirname } from 'node:path';
import type { EngineConfig } from './config';
import { LeaseStore, MongoLeaseStore, SqliteLeaseStore } from './leases';

/** The ports of one profile, opened and ready; the same for the API, the projector and the CLI. */
export interface Infrastructure {
  profile: EngineConfig['profile'];
  eventStore: EventStore;
  projectionStore: ProjectionStore;
  readModels: ReadModelQueries;
  runner: ProjectionRunner;
  /** leases every process of the profile competes for (the scheduler's) */
  leases: LeaseStore;
  /** embedded profile only: the one SQLite file everything lives in */
  sqlite?: SqliteDatabase;
  /** distributed profile only */
  mongo?: Db;
  close(): Promise<void>;
}

/** The embedded profile's folder cannot hold its SQLite file (not a folder, read-only, no permission): a start-up error for the operator, not a stack. */
export class DataDirUnusableError extends Error {
  override name = 'DataDirUnusableError';
  constructor(readonly path: string, readonly reason: string) {
    super(`cannot use the data folder ${path}: ${reason}`);
  }
}

async function inDataDir<T>(config: EngineConfig, open: () => T | Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    // fs errors (ENOTDIR, EACCES, EROFS...) and SQLite's SQLITE_CANTOPEN / SQLITE_READONLY all carry a string code
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') throw error;
    throw new DataDirUnusableError(dirname(config.sqlitePath), `${(error as Error).message} (${code})`);
  }
}

export async function openInfrastructure(config: EngineConfig): Promise<Infrastructure> {
  if (config.profile === 'embedded') {
    const { db, eventStore, projectionStore, runner } = await inDataDir(config, async () => {
      const db = openSqlite(config.sqlitePath);
      const eventStore = new SqliteEventStore(db, { minFreeBytes: config.minFreeBytes, finishingEventTypes: IDEMPOTENCY_FINISHING_EVENTS });
      const projectionStore = new SqliteProjectionStore(db);
      const runner = new ProjectionRunner(eventStore, projectionStore);
      await runner.prepare();
      return { db, eventStore, projectionStore, runner };
    });
    return {
      profile: 'embedded',
      eventStore,
      projectionStore,
      readModels: new SqliteReadModels(db),
      runner,
      leases: new SqliteLeaseStore(db),
      sqlite: db,
      close: async () => {
        await runner.stop();
        await eventStore.close();
        db.close();
      },
    };
  }
  const client = await MongoClient.connect(config.mongoUri as string);
  const mongo = client.db(config.mongoDatabase);
  const eventStore = openDistributedEventStore(config);
  const projectionStore = new MongoProjectionStore(mongo);
  const runner = new ProjectionRunner(eventStore, projectionStore);
  await runner.prepare();
  return {
    profile: 'distributed',
    eventStore,
    projectionStore,
    readModels: new MongoReadModels(mongo),
    runner,
    leases: new MongoLeaseStore(mongo),
    mongo,
    close: async () => {
      await runner.stop();
      await eventStore.close();
      await client.close();
    },
  };
}

/** The distributed profile's event store, beside MongoDB read models: EventStoreDB or PostgreSQL. */
function openDistributedEventStore(config: EngineConfig): EventStore {
  if (config.eventStore === 'postgres') {
    return new PostgresEventStore({ connectionString: config.databaseUrl as string, schema: config.postgresSchema });
  }
  return new EventStoreDbEventStore(config.eventStoreConnectionString as string);
}
