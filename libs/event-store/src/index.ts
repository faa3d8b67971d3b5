export * from './event-store.port';
export { openSqlite } from './sqlite/sqlite-database';
export type { SqliteDatabase } from './sqlite/sqlite-database';
export { SqliteEventStore, StorageFullError } from './sqlite/sqlite-event-store';
export type { SqliteEventStoreOptions } from './sqlite/sqlite-event-store';
export { EventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store';
export { PostgresEventStore } from './postgres/postgres-event-store';
export type { PostgresEventStoreOptions } from './postgres/postgres-event-store';
export { validateSchemaName as validatePostgresSchema } from './postgres/postgres-schema';
