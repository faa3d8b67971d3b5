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
import type { EngineConfig } from './config';

/** The ports of one profile, opened and ready; the same for the API, the projector and the CLI. */
export interface Infrastructure {
  profile: EngineConfig['profile'];
  eventStore: EventStore;
  projectionStore: ProjectionStore;
  readModels: ReadModelQueries;
  runner: ProjectionRunner;
  /** embedded profile only: the one SQLite file everything lives in */
  sqlite?: SqliteDatabase;
  /** distributed profile only */
  mongo?: Db;
  close(): Promise<void>;
}

export async function openInfrastructure(config: EngineConfig): Promise<Infrastructure> {
  if (config.profile === 'embedded') {
    const db = openSqlite(config.sqlitePath);
    const eventStore = new SqliteEventStore(db);
    const projectionStore = new SqliteProjectionStore(db);
    const runner = new ProjectionRunner(eventStore, projectionStore);
    await runner.prepare();
    return {
      profile: 'embedded',
      eventStore,
      projectionStore,
      readModels: new SqliteReadModels(db),
      runner,
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
