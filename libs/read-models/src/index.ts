/**
 * Read models: views built from the event store by projections, stored in SQLite (embedded
 * profile) or MongoDB (distributed profile), queried by the API.
 *
 * Wiring (embedded):
 *   const db = openSqlite(file);
 *   const store = new SqliteProjectionStore(db);
 *   const runner = new ProjectionRunner(new SqliteEventStore(db), store);   // ALL_PROJECTIONS
 *   await runner.start();                       // catch up from each checkpoint, then follow live:
 *                                               // one subscription, one transaction per batch for all projections
 *   const views = new SqliteReadModels(db);     // accounts, transfers, customers, lots, histogram
 * Distributed: MongoProjectionStore(db) + MongoReadModels(db) over the same projections.
 *
 * What the CLI and API call on the runner:
 *   runner.list()                    -> projection names
 *   runner.status()                  -> [{name, checkpoint, head, lag, lastUpdateAt, running, lastError}]
 *   runner.waitFor(position)         -> resolves when every projection has applied up to position
 *   runner.start() / runner.stop()
 *   runner.rebuild(name | 'all', ({done, total, eventsPerSecond, etaSeconds}) => ...)
 *       replays from position 0 into shadow tables (`<view>__rebuild`, SQLite) or the next
 *       generation (`<view>__g<n>`, MongoDB) while the live views serve, then swaps atomically
 *       (SQLite: one transaction drops and renames; MongoDB: the checkpoint document's generation
 *       pointer moves) and live processing continues from the rebuilt checkpoint. Safe from a
 *       separate process against the same SQLite file while the API runs.
 *
 * Projections (each has one checkpoint): customers, accounts, lots (the scheduler's `due` view),
 * transfers, histogram. Each keeps any private memory it needs in its own collections, so none
 * depends on how far another has got, and each can be rebuilt alone.
 */
export * from './documents';
export * from './projection';
export * from './projection-store.port';
export * from './queries.port';
export * from './projection-runner';
export { accountsProjection } from './projections/accounts.projection';
export { customersProjection } from './projections/customers.projection';
export { histogramProjection } from './projections/histogram.projection';
export { lotsProjection } from './projections/lots.projection';
export { transfersProjection } from './projections/transfers.projection';
export { SqliteProjectionStore, sqliteTableName } from './sqlite/sqlite-projection-store';
export type { SqliteProjectionStoreOptions } from './sqlite/sqlite-projection-store';
export { SqliteReadModels } from './sqlite/sqlite-read-models';
export type { SqliteReadModelsOptions } from './sqlite/sqlite-read-models';
export { MongoProjectionStore, mongoCollectionName, MONGO_CHECKPOINTS } from './mongodb/mongo-projection-store';
export type { MongoCheckpoint, MongoProjectionStoreOptions } from './mongodb/mongo-projection-store';
export { MongoReadModels } from './mongodb/mongo-read-models';
export type { MongoReadModelsOptions } from './mongodb/mongo-read-models';
