import type { Statement } from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { GlobalPosition, StoredEvent } from '@app/event-store/event-store.port';
import type { SqliteDatabase } from '@app/event-store/sqlite/sqlite-database';
import type { CollectionSpec, FieldValue, ViewDocument } from '../documents';
import { BulkChange, Projection, WorkingSet } from '../projection';
import type { BatchResult, ProjectionStore, ProjectionTarget, StoredCheckpoint } from '../projection-store.port';

const START: GlobalPosition = -1;
const CHECKPOINTS = 'projection_checkpoints';
const REBUILD_SUFFIX = '__rebuild';

export function sqliteTableName(collection: CollectionSpec, target: ProjectionTarget = 'live'): string {
  return target === 'live' ? collection.name : `${collection.name}${REBUILD_SUFFIX}`;
}

function checkpointKey(name: string, target: ProjectionTarget): string {
  return target === 'live' ? name : `${name}${REBUILD_SUFFIX}`;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

interface TableStatements {
  select: Statement<[string], Record<string, FieldValue>>;
  upsert: Statement<FieldValue[]>;
  remove: Statement<[string]>;
  columns: string[];
}

export interface SqliteProjectionStoreOptions {
  /** wall clock for the checkpoint's updatedAt (runner bookkeeping, never view data) */
  now?: () => Date;
}

/**
 * Views, checkpoints and rebuild shadows of the embedded profile, in the same SQLite file as the
 * events. A batch's view changes and its checkpoint commit in one IMMEDIATE transaction, so a
 * crash leaves either both or neither; another process (the CLI) can rebuild against the same file.
 */
export class SqliteProjectionStore implements ProjectionStore {
  readonly kind = 'sqlite' as const;
  private readonly statements = new Map<string, TableStatements>();
  private readonly updates = new Map<string, Statement<FieldValue[]>>();
  private readonly now: () => Date;

  constructor(
    readonly db: SqliteDatabase,
    options: SqliteProjectionStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    db.exec(`CREATE TABLE IF NOT EXISTS ${CHECKPOINTS} (name TEXT PRIMARY KEY, position INTEGER NOT NULL, updated_at TEXT)`);
  }

  async prepare(projection: Projection): Promise<void> {
    this.db
      .transaction(() => {
        for (const collection of projection.collections) this.createTable(collection, 'live');
        this.db.prepare(`INSERT OR IGNORE INTO ${CHECKPOINTS} (name, position, updated_at) VALUES (?, ?, NULL)`).run(projection.name, START);
      })
      .immediate();
  }

  async checkpoint(name: string, target: ProjectionTarget = 'live'): Promise<StoredCheckpoint> {
    return this.readCheckpoint(checkpointKey(name, target));
  }

  async applyBatch(projection: Projection, events: StoredEvent[], expectedAfter: GlobalPosition, target: ProjectionTarget = 'live'): Promise<BatchResult> {
    return this.applyBatchNow(projection, events, expectedAfter, target);
  }

  /** Synchronous form, for callers that already hold the thread (benchmarks, the CLI). */
  applyBatchNow(projection: Projection, events: StoredEvent[], expectedAfter: GlobalPosition, target: ProjectionTarget = 'live'): BatchResult {
    const key = checkpointKey(projection.name, target);
    const run = this.db.transaction((): BatchResult => {
      const stored = this.readCheckpoint(key).position;
      if (stored < expectedAfter) return { checkpoint: stored, applied: 0, rewoundTo: stored };
      const last = events.length ? events[events.length - 1].position : stored;
      // Another writer (a swapped-in rebuild, a second runner) may already hold part of the batch.
      const fresh = events.filter((event) => event.position > stored);
      let workingSet = this.newWorkingSet(target);
      for (const event of fresh) {
        projection.apply(event, workingSet);
        if (workingSet.closed) {
          this.flush(workingSet, target);
          workingSet = this.newWorkingSet(target);
        }
      }
      this.flush(workingSet, target);
      const checkpoint = Math.max(stored, last);
      this.db.prepare(`UPDATE ${CHECKPOINTS} SET position = ?, updated_at = ? WHERE name = ?`).run(checkpoint, this.now().toISOString(), key);
      return { checkpoint, applied: fresh.length };
    });
    return run.immediate();
  }

  async prepareRebuild(projection: Projection): Promise<void> {
    // statements prepared against a renamed or dropped table must not be reused
    this.statements.clear();
    this.updates.clear();
    this.db
      .transaction(() => {
        for (const collection of projection.collections) {
          this.db.exec(`DROP TABLE IF EXISTS ${quote(sqliteTableName(collection, 'rebuild'))}`);
          this.createTable(collection, 'rebuild');
        }
        this.db
          .prepare(`INSERT OR REPLACE INTO ${CHECKPOINTS} (name, position, updated_at) VALUES (?, ?, NULL)`)
          .run(checkpointKey(projection.name, 'rebuild'), START);
      })
      .immediate();
  }

  async swapRebuild(projection: Projection): Promise<GlobalPosition> {
    // statements prepared against a renamed or dropped table must not be reused
    this.statements.clear();
    this.updates.clear();
    return this.db
      .transaction((): GlobalPosition => {
        const rebuilt = this.readCheckpoint(checkpointKey(projection.name, 'rebuild'));
        for (const collection of projection.collections) {
          this.db.exec(`DROP TABLE IF EXISTS ${quote(sqliteTableName(collection, 'live'))}`);
          this.db.exec(`ALTER TABLE ${quote(sqliteTableName(collection, 'rebuild'))} RENAME TO ${quote(sqliteTableName(collection, 'live'))}`);
        }
        this.db
          .prepare(`INSERT OR REPLACE INTO ${CHECKPOINTS} (name, position, updated_at) VALUES (?, ?, ?)`)
          .run(projection.name, rebuilt.position, this.now().toISOString());
        this.db.prepare(`DELETE FROM ${CHECKPOINTS} WHERE name = ?`).run(checkpointKey(projection.name, 'rebuild'));
        return rebuilt.position;
      })
      .immediate();
  }

  async dropRebuild(projection: Projection): Promise<void> {
    // statements prepared against a renamed or dropped table must not be reused
    this.statements.clear();
    this.updates.clear();
    this.db
      .transaction(() => {
        for (const collection of projection.collections) this.db.exec(`DROP TABLE IF EXISTS ${quote(sqliteTableName(collection, 'rebuild'))}`);
        this.db.prepare(`DELETE FROM ${CHECKPOINTS} WHERE name = ?`).run(checkpointKey(projection.name, 'rebuild'));
      })
      .immediate();
  }

  private readCheckpoint(key: string): StoredCheckpoint {
    const row = this.db.prepare(`SELECT position, updated_at FROM ${CHECKPOINTS} WHERE name = ?`).get(key) as
      | { position: number; updated_at: string | null }
      | undefined;
    return row ? { position: row.position, updatedAt: row.updated_at } : { position: START, updatedAt: null };
  }

  private createTable(collection: CollectionSpec, target: ProjectionTarget): void {
    const table = sqliteTableName(collection, target);
    const exists = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table);
    if (exists) {
      if (target === 'live') this.syncIndexes(collection, table);
      return;
    }
    const columns = Object.entries(collection.fields).map(([field, type]) => `${quote(field)} ${type === 'integer' ? 'INTEGER' : 'TEXT'}`);
    this.db.exec(`CREATE TABLE ${quote(table)} (id TEXT PRIMARY KEY, position INTEGER NOT NULL, ${columns.join(', ')})`);
    collection.indexes.forEach((_fields, i) => {
      if (target === 'live' || collection.replayIndexes?.includes(i)) this.createIndex(collection, target, i);
    });
  }

  /** A live table made by an older version gets the indexes its spec lists now and loses the ones it no longer lists. */
  private syncIndexes(collection: CollectionSpec, table: string): void {
    const wanted = collection.indexes.map((fields) => `(${fields.map(quote).join(', ')})`);
    const named = new RegExp(`^ix_${collection.name}_\\d+_[0-9a-f]+$`);
    const ours = (this.db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`).all(table) as Array<{ name: string; sql: string | null }>).filter(
      (index) => named.test(index.name),
    );
    for (const index of ours) if (!wanted.some((columns) => index.sql?.endsWith(columns))) this.db.exec(`DROP INDEX ${quote(index.name)}`);
    collection.indexes.forEach((_fields, i) => this.createIndex(collection, 'live', i));
  }

  private createIndex(collection: CollectionSpec, target: ProjectionTarget, i: number): void {
    const table = sqliteTableName(collection, target);
    const fields = collection.indexes[i];
    const existing = this.db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`).all(table) as Array<{ sql: string | null }>;
    const columns = `(${fields.map(quote).join(', ')})`;
    if (existing.some((index) => index.sql?.endsWith(columns))) return;
    // Index names outlive a rename, so each table generation gets its own: the next rebuild's names never clash.
    const generation = randomBytes(4).toString('hex');
    this.db.exec(`CREATE INDEX ${quote(`ix_${collection.name}_${i}_${generation}`)} ON ${quote(table)} ${columns}`);
  }

  async finishRebuild(projection: Projection): Promise<void> {
    for (const collection of projection.collections) {
      for (let i = 0; i < collection.indexes.length; i++) {
        // one transaction per index: appends from the API wait for one index build at most
        this.db.transaction(() => this.createIndex(collection, 'rebuild', i)).immediate();
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  private tableStatements(collection: CollectionSpec, target: ProjectionTarget): TableStatements {
    const table = sqliteTableName(collection, target);
    let statements = this.statements.get(table);
    if (!statements) {
      const columns = ['id', 'position', ...Object.keys(collection.fields)];
      statements = {
        columns,
        select: this.db.prepare<[string], Record<string, FieldValue>>(`SELECT * FROM ${quote(table)} WHERE id = ?`),
        upsert: this.db.prepare<FieldValue[]>(`INSERT OR REPLACE INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`),
        remove: this.db.prepare<[string]>(`DELETE FROM ${quote(table)} WHERE id = ?`),
      };
      this.statements.set(table, statements);
    }
    return statements;
  }

  private updateStatement(collection: CollectionSpec, target: ProjectionTarget, columns: string[]): Statement<FieldValue[]> {
    const table = sqliteTableName(collection, target);
    const key = `${table}\u0000${columns.join(',')}`;
    let statement = this.updates.get(key);
    if (!statement) {
      statement = this.db.prepare<FieldValue[]>(`UPDATE ${quote(table)} SET ${columns.map((column) => `${quote(column)} = ?`).join(', ')} WHERE id = ?`);
      this.updates.set(key, statement);
    }
    return statement;
  }

  private newWorkingSet(target: ProjectionTarget): WorkingSet {
    return new WorkingSet(new Map(), (collection, id) => this.tableStatements(collection, target).select.get(id) as ViewDocument | undefined);
  }

  private flush(workingSet: WorkingSet, target: ProjectionTarget): void {
    for (const change of workingSet.documentChanges()) {
      const statements = this.tableStatements(change.collection, target);
      if (!change.after) {
        statements.remove.run(change.id);
        continue;
      }
      const doc = change.after as unknown as Record<string, FieldValue | undefined>;
      if (!change.before) {
        statements.upsert.run(...statements.columns.map((column) => doc[column] ?? null));
        continue;
      }
      // only the columns that changed: SQLite then leaves every index without them untouched
      const before = change.before as unknown as Record<string, FieldValue | undefined>;
      const changed = statements.columns.filter((column) => column !== 'id' && (before[column] ?? null) !== (doc[column] ?? null));
      if (changed.length) this.updateStatement(change.collection, target, changed).run(...changed.map((column) => doc[column] ?? null), change.id);
    }
    for (const bulk of workingSet.bulk) this.runBulk(bulk, target);
  }

  private runBulk(bulk: BulkChange, target: ProjectionTarget): void {
    const table = quote(sqliteTableName(bulk.collection, target));
    const matchFields = Object.keys(bulk.match);
    const where = [...matchFields.map((field) => `${quote(field)} = ?`), `${quote(bulk.guardField)} < ?`].join(' AND ');
    const matchValues = [...matchFields.map((field) => bulk.match[field]), bulk.position];
    if (bulk.kind === 'deleteWhere') {
      this.db.prepare(`DELETE FROM ${table} WHERE ${where}`).run(...matchValues);
      return;
    }
    const set = { ...(bulk.set ?? {}), [bulk.guardField]: bulk.position };
    const setFields = Object.keys(set);
    this.db
      .prepare(`UPDATE ${table} SET ${setFields.map((field) => `${quote(field)} = ?`).join(', ')} WHERE ${where}`)
      .run(...setFields.map((field) => set[field]), ...matchValues);
  }
}
