import type { Statement, Transaction } from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { GlobalPosition, StoredEvent } from '@app/event-store/event-store.port';
import type { SqliteDatabase } from '@app/event-store/sqlite/sqlite-database';
import type { CollectionSpec, FieldValue, ViewDocument } from '../documents';
import { BulkChange, Projection, WorkingSet } from '../projection';
import type { BatchItem, BatchItemResult, BatchResult, ProjectionStore, ProjectionTarget, StoredCheckpoint } from '../projection-store.port';
import { InsertedIds } from './inserted-ids';
import type { RebuildWorkerData, RebuildWorkerMessage } from './rebuild-worker';

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

interface CheckpointRow {
  position: number;
  updated_at: string | null;
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
  /**
   * Commit batches with synchronous=NORMAL (no fsync of their own) when the connection runs FULL;
   * default true. See `applyBatchesNow` for why that is safe.
   */
  relaxedSync?: boolean;
  /**
   * Page cache of the connection while a rebuild runs (MiB), when larger than its own; default 64.
   * A replay inserts at random places in big primary-key B-trees, which a small cache reads back from
   * the file again and again. Put back when the last rebuild is swapped in or dropped.
   */
  rebuildCacheMiB?: number;
  /**
   * Page cache of each rebuild worker's scratch file (MiB); default 256. The worker's random primary-key
   * inserts stay in memory as long as its tables fit; the memory is the worker's, freed when it ends.
   */
  workerCacheMiB?: number;
}

/** rows a rebuild copies from a worker's scratch file per transaction (see copyFromScratch) */
const COPY_CHUNK_ROWS = 20_000;

/** PRAGMA synchronous levels */
const SYNC_NORMAL = 1;

/** A projection threw in a batch applied without savepoints: the transaction is rolled back and the batch runs again isolated. */
class ProjectionFailed extends Error {
  constructor(readonly reason: unknown) {
    super('a projection failed in a shared batch');
  }
}

/**
 * Views, checkpoints and rebuild shadows of the embedded profile, in the same SQLite file as the
 * events. A batch's view changes and checkpoints, for every projection it is applied to, commit in
 * one IMMEDIATE transaction, so a crash leaves either both or neither; another process (the CLI) can
 * rebuild against the same file. Statements are prepared once (table ones again after a swap).
 */
export class SqliteProjectionStore implements ProjectionStore {
  readonly kind = 'sqlite' as const;
  private readonly statements = new Map<string, TableStatements>();
  /** UPDATE and bulk statements by their SQL; cleared with `statements` when tables are renamed or dropped */
  private readonly updates = new Map<string, Statement<FieldValue[]>>();
  private readonly now: () => Date;
  private readonly relaxedSync: boolean;
  private readonly rebuildCacheMiB: number;
  private readonly workerCacheMiB: number;
  /** shadow tables whose replay indexes exist (see ensureReplayIndexes); cleared whenever shadow tables are made or dropped */
  private readonly replayIndexed = new Set<string>();
  /** projections with a rebuild under way through this store, and the cache_size to put back after */
  private readonly rebuilding = new Set<string>();
  /**
   * Per shadow table made by this store's prepareRebuild: what it has inserted since. Only this store
   * writes a shadow table while its rebuild runs (another process starting one resets the rebuild
   * checkpoint, which ends ours at its next batch), so an id never inserted is surely not there.
   */
  private readonly shadowIds = new Map<string, InsertedIds>();
  private cacheSizeBefore: number | undefined;
  private readonly selectCheckpoint: Statement<[string], CheckpointRow>;
  private readonly selectCheckpoints: Statement<[], CheckpointRow & { name: string }>;
  private readonly updateCheckpoint: Statement<[GlobalPosition, string, string]>;
  private readonly applyAll: Transaction<(items: ReadonlyArray<BatchItem>, events: StoredEvent[], target: ProjectionTarget) => BatchItemResult[]>;
  /** a batch's first try: every projection straight in the transaction, no savepoint (see applyBatchesNow) */
  private readonly applyAllShared: Transaction<(items: ReadonlyArray<BatchItem>, events: StoredEvent[], target: ProjectionTarget) => BatchItemResult[]>;
  /** nested in `applyAll`: a savepoint per projection */
  private readonly applyOne: Transaction<
    (projection: Projection, events: StoredEvent[], stored: GlobalPosition, key: string, target: ProjectionTarget, updatedAt: string) => BatchResult
  >;

  constructor(
    readonly db: SqliteDatabase,
    options: SqliteProjectionStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.relaxedSync = options.relaxedSync ?? true;
    this.rebuildCacheMiB = options.rebuildCacheMiB ?? 64;
    this.workerCacheMiB = options.workerCacheMiB ?? 256;
    db.exec(`CREATE TABLE IF NOT EXISTS ${CHECKPOINTS} (name TEXT PRIMARY KEY, position INTEGER NOT NULL, updated_at TEXT)`);
    // the checkpoint table is never renamed or dropped, so these live as long as the store
    this.selectCheckpoint = db.prepare(`SELECT position, updated_at FROM ${CHECKPOINTS} WHERE name = ?`);
    this.selectCheckpoints = db.prepare(`SELECT name, position, updated_at FROM ${CHECKPOINTS}`);
    this.updateCheckpoint = db.prepare(`UPDATE ${CHECKPOINTS} SET position = ?, updated_at = ? WHERE name = ?`);
    this.applyAll = db.transaction((items: ReadonlyArray<BatchItem>, events: StoredEvent[], target: ProjectionTarget) => this.applyToAll(items, events, target));
    this.applyAllShared = db.transaction((items: ReadonlyArray<BatchItem>, events: StoredEvent[], target: ProjectionTarget) => this.applyToAll(items, events, target, false));
    this.applyOne = db.transaction(
      (projection: Projection, events: StoredEvent[], stored: GlobalPosition, key: string, target: ProjectionTarget, updatedAt: string) =>
        this.applyOneNow(projection, events, stored, key, target, updatedAt),
    );
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

  async applyBatches(items: ReadonlyArray<BatchItem>, events: StoredEvent[], target: ProjectionTarget = 'live'): Promise<BatchItemResult[]> {
    return this.applyBatchesNow(items, events, target);
  }

  async checkpoints(names: ReadonlyArray<string>, target: ProjectionTarget = 'live'): Promise<StoredCheckpoint[]> {
    const stored = this.readCheckpoints();
    return names.map((name) => stored.get(checkpointKey(name, target)) ?? { position: START, updatedAt: null });
  }

  /** Synchronous form, for callers that already hold the thread (benchmarks, the CLI). */
  applyBatchNow(projection: Projection, events: StoredEvent[], expectedAfter: GlobalPosition, target: ProjectionTarget = 'live'): BatchResult {
    const [{ error, ...result }] = this.applyBatchesNow([{ projection, expectedAfter }], events, target);
    if (error !== undefined) throw error;
    return result;
  }

  /**
   * One IMMEDIATE transaction (one commit) for every projection of the batch. Each projection runs
   * in its own savepoint and moves its own checkpoint row in it, so its views and checkpoint still
   * commit together, and one that throws is rolled back alone.
   *
   * A batch first runs without the savepoints: a savepoint copies every page it changes into its
   * journal first (a live batch of 45 points commands changes ~350 pages, a rebuild batch of 10,000
   * events tens of thousands), and projections almost never throw. When one does, that attempt is
   * rolled back whole and the batch runs again with a savepoint each, so the outcome is the same as
   * if they had been there all along.
   */
  applyBatchesNow(items: ReadonlyArray<BatchItem>, events: StoredEvent[], target: ProjectionTarget = 'live'): BatchItemResult[] {
    return this.withRelaxedSync(() => {
      try {
        return this.applyAllShared.immediate(items, events, target);
      } catch (error) {
        if (!(error instanceof ProjectionFailed)) throw error;
      }
      return this.applyAll.immediate(items, events, target);
    });
  }

  /**
   * Runs a projection commit without an fsync of its own. Safe because: in WAL mode synchronous=NORMAL
   * never corrupts the file, it can only lose the newest commits on power loss; a projection commit
   * holds views and checkpoints together, so losing it only puts the checkpoints back, and the events
   * it came from are replayed. The WAL is one append-only file, so the next FULL commit (every event
   * append) syncs these frames too, and an append acknowledged after it is as durable as ever.
   */
  private withRelaxedSync<T>(run: () => T): T {
    if (!this.relaxedSync || this.db.inTransaction) return run();
    // PRAGMA synchronous reads and sets the level while being prepared, so a prepared statement would not do
    const previous = this.db.pragma('synchronous', { simple: true }) as number;
    if (previous <= SYNC_NORMAL) return run();
    this.setSync(SYNC_NORMAL);
    try {
      return run();
    } finally {
      this.setSync(previous);
    }
  }

  private setSync(level: number): void {
    this.db.exec(`PRAGMA synchronous = ${Math.trunc(level)}`);
  }

  /** `isolated`: each projection in its own savepoint; otherwise the first that throws aborts the whole transaction (ProjectionFailed). */
  private applyToAll(items: ReadonlyArray<BatchItem>, events: StoredEvent[], target: ProjectionTarget, isolated = true): BatchItemResult[] {
    const stored = this.readCheckpoints();
    const updatedAt = this.now().toISOString();
    return items.map(({ projection, expectedAfter }): BatchItemResult => {
      const key = checkpointKey(projection.name, target);
      const position = stored.get(key)?.position ?? START;
      if (position < expectedAfter) return { checkpoint: position, applied: 0, rewoundTo: position };
      if (!isolated) {
        try {
          return this.applyOneNow(projection, events, position, key, target, updatedAt);
        } catch (error) {
          throw new ProjectionFailed(error);
        }
      }
      try {
        return this.applyOne(projection, events, position, key, target, updatedAt);
      } catch (error) {
        return { checkpoint: position, applied: 0, error };
      }
    });
  }

  private applyOneNow(projection: Projection, events: StoredEvent[], stored: GlobalPosition, key: string, target: ProjectionTarget, updatedAt: string): BatchResult {
    const last = events.length ? events[events.length - 1].position : stored;
    // Another writer (a swapped-in rebuild, a second runner) may already hold part of the batch.
    const fresh = events.length && events[0].position > stored ? events : events.filter((event) => event.position > stored);
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
    if (checkpoint !== stored || fresh.length) this.updateCheckpoint.run(checkpoint, updatedAt, key);
    return { checkpoint, applied: fresh.length };
  }

  /** Statements prepared against a table that is renamed or dropped, and what we knew of its indexes, must not be reused. */
  private forgetTables(): void {
    this.statements.clear();
    this.replayIndexed.clear();
    this.updates.clear();
  }

  async prepareRebuild(projection: Projection): Promise<void> {
    this.beginRebuildCache(projection);
    this.forgetTables();
    this.db
      .transaction(() => {
        for (const collection of projection.collections) {
          this.db.exec(`DROP TABLE IF EXISTS ${quote(sqliteTableName(collection, 'rebuild'))}`);
          this.createTable(collection, 'rebuild');
          this.shadowIds.set(sqliteTableName(collection, 'rebuild'), new InsertedIds());
        }
        this.db
          .prepare(`INSERT OR REPLACE INTO ${CHECKPOINTS} (name, position, updated_at) VALUES (?, ?, NULL)`)
          .run(checkpointKey(projection.name, 'rebuild'), START);
      })
      .immediate();
  }

  async swapRebuild(projection: Projection): Promise<GlobalPosition> {
    this.forgetTables();
    this.endRebuild(projection);
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

  /**
   * The bulk of a rebuild, off this thread: the projections (the engine's own, found by name) are shared
   * out round-robin over `workers` threads; each replays the log up to `until` into its own scratch file
   * (no journal, no sync, a page cache of its own), all in parallel. Then each shadow table, prepared
   * empty by prepareRebuild, takes its finished rows in key order (copyFromScratch), and the rebuild
   * checkpoints move to `until`; the indexes are left to finishRebuild. A worker that fails rejects this
   * (the caller drops the shadows); the scratch files are deleted either way. Undefined (nothing done)
   * for an in-memory database.
   */
  async replayInWorkers(
    projections: ReadonlyArray<Projection>,
    until: GlobalPosition,
    options: { workers: number; batchSize: number; onProgress?: (done: number) => void },
  ): Promise<{ copySeconds: number; events: number } | undefined> {
    // other threads cannot open a database held in this connection's memory
    if (this.db.memory) return undefined;
    const groups: Projection[][] = [];
    projections.forEach((projection, i) => (groups[i % options.workers] ??= []).push(projection));
    const generation = randomBytes(4).toString('hex');
    const scratchPaths = groups.map((_, i) => `${this.db.name}.rebuild-${generation}-${i}`);
    const progress = groups.map(() => 0);
    const workers: Worker[] = [];
    // events each worker replayed (all the same: every worker reads the whole log up to `until`)
    let events = 0;
    try {
      await Promise.all(
        groups.map((group, i) => {
          const worker = startRebuildWorker({
            livePath: this.db.name,
            scratchPath: scratchPaths[i],
            names: group.map((projection) => projection.name),
            until,
            batchSize: options.batchSize,
            cacheMiB: this.workerCacheMiB,
          });
          workers.push(worker);
          return new Promise<void>((resolve, reject) => {
            let finished = false;
            worker.on('message', (message: RebuildWorkerMessage) => {
              if (message.kind === 'progress') {
                progress[i] = message.done;
                options.onProgress?.(Math.min(...progress));
              } else if (message.position !== until && until > START) {
                reject(new Error(`rebuild worker for ${group.map((p) => p.name).join(', ')} stopped at ${message.position}, not ${until}`));
              } else {
                finished = true;
                events = message.events;
              }
            });
            worker.on('error', reject);
            worker.on('exit', (code) => (finished ? resolve() : reject(new Error(`rebuild worker for ${group.map((p) => p.name).join(', ')} exited with ${code}`))));
          });
        }),
      );
      const copying = performance.now();
      for (let i = 0; i < groups.length; i++) await this.copyFromScratch(groups[i], scratchPaths[i], until);
      return { copySeconds: (performance.now() - copying) / 1000, events };
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
      for (const path of scratchPaths) rmSync(path, { force: true });
    }
  }

  /**
   * Rows only, in primary-key order and in transactions of COPY_CHUNK_ROWS: the shadow's key index grows
   * at its end, and appends from the API (here or in another process) wait for one chunk at most, never
   * for a whole table. The secondary indexes are built afterwards, one transaction each (finishRebuild).
   */
  private async copyFromScratch(projections: ReadonlyArray<Projection>, scratchPath: string, until: GlobalPosition): Promise<void> {
    this.db.prepare(`ATTACH DATABASE ? AS rebuild_scratch`).run(scratchPath);
    try {
      for (const projection of projections) {
        for (const collection of projection.collections) {
          const table = quote(sqliteTableName(collection, 'rebuild'));
          const copy = this.db.prepare<[string, number]>(`INSERT INTO main.${table} SELECT * FROM rebuild_scratch.${table} WHERE id > ? ORDER BY id LIMIT ?`);
          const last = this.db.prepare<[], { id: string | null }>(`SELECT max(id) AS id FROM main.${table}`);
          let after = '';
          for (;;) {
            const copied = this.db
              .transaction(() => {
                // another process starting a rebuild of its own resets the checkpoint: this one then gives way
                if (this.readCheckpoint(checkpointKey(projection.name, 'rebuild')).position !== START) {
                  throw new Error(`rebuild of ${projection.name} was moved by another process`);
                }
                return copy.run(after, COPY_CHUNK_ROWS).changes;
              })
              .immediate();
            if (copied < COPY_CHUNK_ROWS) break;
            after = last.get()?.id ?? '';
            await new Promise((resolve) => setImmediate(resolve));
          }
          // the Bloom filter knows nothing of the copied rows: lookups must read the table from now on
          this.shadowIds.delete(sqliteTableName(collection, 'rebuild'));
        }
        this.updateCheckpoint.run(until, this.now().toISOString(), checkpointKey(projection.name, 'rebuild'));
      }
    } finally {
      this.db.exec('DETACH DATABASE rebuild_scratch');
    }
  }

  async dropRebuild(projection: Projection): Promise<void> {
    this.forgetTables();
    this.endRebuild(projection);
    this.db
      .transaction(() => {
        for (const collection of projection.collections) this.db.exec(`DROP TABLE IF EXISTS ${quote(sqliteTableName(collection, 'rebuild'))}`);
        this.db.prepare(`DELETE FROM ${CHECKPOINTS} WHERE name = ?`).run(checkpointKey(projection.name, 'rebuild'));
      })
      .immediate();
  }

  private beginRebuildCache(projection: Projection): void {
    if (!this.rebuilding.size) {
      const current = this.db.pragma('cache_size', { simple: true }) as number;
      // negative: KiB; positive: pages
      const currentKiB = current < 0 ? -current : (current * (this.db.pragma('page_size', { simple: true }) as number)) / 1024;
      const wantedKiB = Math.trunc(this.rebuildCacheMiB * 1024);
      this.cacheSizeBefore = wantedKiB > currentKiB ? current : undefined;
      if (this.cacheSizeBefore !== undefined) this.db.exec(`PRAGMA cache_size = -${wantedKiB}`);
    }
    this.rebuilding.add(projection.name);
  }

  private endRebuild(projection: Projection): void {
    for (const collection of projection.collections) this.shadowIds.delete(sqliteTableName(collection, 'rebuild'));
    if (!this.rebuilding.delete(projection.name) || this.rebuilding.size) return;
    if (this.cacheSizeBefore !== undefined) this.db.exec(`PRAGMA cache_size = ${Math.trunc(this.cacheSizeBefore)}`);
    this.cacheSizeBefore = undefined;
  }

  private readCheckpoint(key: string): StoredCheckpoint {
    const row = this.selectCheckpoint.get(key);
    return row ? { position: row.position, updatedAt: row.updated_at } : { position: START, updatedAt: null };
  }

  /** every checkpoint row (a handful) in one statement */
  private readCheckpoints(): Map<string, StoredCheckpoint> {
    const out = new Map<string, StoredCheckpoint>();
    for (const row of this.selectCheckpoints.all()) out.set(row.name, { position: row.position, updatedAt: row.updated_at });
    return out;
  }

  private createTable(collection: CollectionSpec, target: ProjectionTarget): void {
    const table = sqliteTableName(collection, target);
    const exists = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table);
    if (exists) {
      this.addMissingColumns(collection, table);
      if (target === 'live') this.syncIndexes(collection, table);
      return;
    }
    const columns = Object.entries(collection.fields).map(([field, type]) => `${quote(field)} ${type === 'integer' ? 'INTEGER' : 'TEXT'}`);
    this.db.exec(`CREATE TABLE ${quote(table)} (id TEXT PRIMARY KEY, position INTEGER NOT NULL, ${columns.join(', ')})`);
    // a shadow table gets its replay indexes from the first bulk change that needs them (ensureReplayIndexes), the rest in finishRebuild
    if (target === 'live') collection.indexes.forEach((_fields, i) => this.createIndex(collection, target, i));
  }

  /**
   * A table made by an older version gets the fields its spec lists now, empty (NULL) in the rows already
   * there: the projection fills them for new events, and `projections rebuild <name>` for the old ones.
   */
  private addMissingColumns(collection: CollectionSpec, table: string): void {
    const present = new Set((this.db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((column) => column.name));
    for (const [field, type] of Object.entries(collection.fields)) {
      if (!present.has(field)) this.db.exec(`ALTER TABLE ${quote(table)} ADD COLUMN ${quote(field)} ${type === 'integer' ? 'INTEGER' : 'TEXT'}`);
    }
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
    return this.cachedStatement(`UPDATE ${quote(table)} SET ${columns.map((column) => `${quote(column)} = ?`).join(', ')} WHERE id = ?`);
  }

  private newWorkingSet(target: ProjectionTarget): WorkingSet {
    return new WorkingSet(new Map(), (collection, id) => {
      if (target === 'rebuild' && this.shadowIds.get(sqliteTableName(collection, target))?.surelyAbsent(id)) return undefined;
      return this.tableStatements(collection, target).select.get(id) as ViewDocument | undefined;
    });
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
        if (target === 'rebuild') this.shadowIds.get(sqliteTableName(change.collection, target))?.add(change.id);
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
    if (target === 'rebuild') this.ensureReplayIndexes(bulk.collection);
    const table = quote(sqliteTableName(bulk.collection, target));
    const matchFields = Object.keys(bulk.match);
    const where = [...matchFields.map((field) => `${quote(field)} = ?`), `${quote(bulk.guardField)} < ?`].join(' AND ');
    const matchValues = [...matchFields.map((field) => bulk.match[field]), bulk.position];
    if (bulk.kind === 'deleteWhere') {
      this.cachedStatement(`DELETE FROM ${table} WHERE ${where}`).run(...matchValues);
      return;
    }
    const set = { ...(bulk.set ?? {}), [bulk.guardField]: bulk.position };
    const setFields = Object.keys(set);
    this.cachedStatement(`UPDATE ${table} SET ${setFields.map((field) => `${quote(field)} = ?`).join(', ')} WHERE ${where}`).run(
      ...setFields.map((field) => set[field]),
      ...matchValues,
    );
  }

  /**
   * A shadow table gets the indexes its bulk changes match on only when the first bulk change reaches it:
   * until then every row it takes is one random B-tree insert fewer (the index is built from sorted rows,
   * once, inside this batch's transaction).
   */
  private ensureReplayIndexes(collection: CollectionSpec): void {
    const table = sqliteTableName(collection, 'rebuild');
    if (this.replayIndexed.has(table)) return;
    for (const i of collection.replayIndexes ?? []) this.createIndex(collection, 'rebuild', i);
    this.replayIndexed.add(table);
  }

  private cachedStatement(sql: string): Statement<FieldValue[]> {
    let statement = this.updates.get(sql);
    if (!statement) {
      statement = this.db.prepare<FieldValue[]>(sql);
      this.updates.set(sql, statement);
    }
    return statement;
  }
}

/**
 * Starts a rebuild worker from this module's own kind of file: the built JavaScript, or under ts-node
 * and jest the TypeScript source, which the thread compiles with ts-node (it has no loader of its own).
 */
function startRebuildWorker(data: RebuildWorkerData): Worker {
  const file = join(__dirname, `rebuild-worker${extname(__filename)}`);
  if (extname(__filename) !== '.ts') return new Worker(file, { workerData: data });
  const source = [
    `require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });`,
    `require('tsconfig-paths/register');`,
    `require(${JSON.stringify(file)});`,
  ].join('\n');
  return new Worker(source, { eval: true, workerData: data });
}
