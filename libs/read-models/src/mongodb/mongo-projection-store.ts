import type { AnyBulkWriteOperation, Collection, Db, Document } from 'mongodb';
import type { GlobalPosition, StoredEvent } from '@app/event-store/event-store.port';
import { CollectionSpec, ViewDocument, withNulls } from '../documents';
import { BulkChange, DocumentChange, LoadedDocuments, Projection, WorkingSet } from '../projection';
import type { BatchItem, BatchItemResult, BatchResult, ProjectionStore, ProjectionTarget, StoredCheckpoint } from '../projection-store.port';

const START: GlobalPosition = -1;
export const MONGO_CHECKPOINTS = 'projection_checkpoints';
const REBUILD_SUFFIX = '__rebuild';

/**
 * A projection's checkpoint document. `generation` is the pointer to the live collections:
 * generation 0 lives in `<view>`, generation n in `<view>__g<n>`. A rebuild fills generation n+1
 * and swaps by moving this pointer, because FerretDB cannot renameCollection with dropTarget.
 */
export interface MongoCheckpoint {
  _id: string;
  position: GlobalPosition;
  generation: number;
  updatedAt: string | null;
}

export function mongoCollectionName(collection: CollectionSpec, generation: number): string {
  return generation === 0 ? collection.name : `${collection.name}__g${generation}`;
}

function checkpointKey(name: string, target: ProjectionTarget): string {
  return target === 'live' ? name : `${name}${REBUILD_SUFFIX}`;
}

type StoredDoc = Document & { _id: string };

function toStored(doc: ViewDocument): StoredDoc {
  const { id, ...fields } = doc;
  return { _id: id, ...fields };
}

function fromStored(doc: StoredDoc): ViewDocument {
  const { _id, ...fields } = doc;
  return { id: _id, ...(fields as { position: number }) };
}

export interface MongoProjectionStoreOptions {
  now?: () => Date;
  /** how long a rebuilt projection's old collections stay after the swap, for queries that still point at them */
  dropOldGenerationAfterMs?: number;
}

/**
 * Views and checkpoints of the distributed profile. No multi-document transactions (FerretDB has
 * none), so every write is idempotent: a document change is guarded by the position stored on the
 * document, a bulk change by its guard field, and the checkpoint moves compare-and-set.
 * At-least-once delivery, a crash mid-batch or a second runner therefore never double-count.
 */
export class MongoProjectionStore implements ProjectionStore {
  readonly kind = 'mongodb' as const;
  private readonly now: () => Date;
  private readonly dropOldGenerationAfterMs: number;
  private ferretDb: Promise<boolean> | undefined;

  constructor(
    readonly db: Db,
    options: MongoProjectionStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.dropOldGenerationAfterMs = options.dropOldGenerationAfterMs ?? 5_000;
  }

  private get checkpointCollection(): Collection<MongoCheckpoint> {
    return this.db.collection<MongoCheckpoint>(MONGO_CHECKPOINTS);
  }

  async prepare(projection: Projection): Promise<void> {
    await this.checkpointCollection.updateOne(
      { _id: projection.name },
      { $setOnInsert: { position: START, generation: 0, updatedAt: null } },
      { upsert: true },
    );
    const { generation } = await this.readCheckpoint(projection.name, 'live');
    await this.createCollections(projection, generation);
  }

  async checkpoint(name: string, target: ProjectionTarget = 'live'): Promise<StoredCheckpoint> {
    const { position, updatedAt } = await this.readCheckpoint(name, target);
    return { position, updatedAt };
  }

  async checkpoints(names: ReadonlyArray<string>, target: ProjectionTarget = 'live'): Promise<StoredCheckpoint[]> {
    const keys = names.map((name) => checkpointKey(name, target));
    const found = new Map((await this.checkpointCollection.find({ _id: { $in: keys } }).toArray()).map((doc) => [doc._id, doc]));
    return keys.map((key) => {
      const doc = found.get(key);
      return doc ? { position: doc.position, updatedAt: doc.updatedAt } : { position: START, updatedAt: null };
    });
  }

  /** No multi-document transactions here: the projections run side by side, each failing on its own. */
  async applyBatches(items: ReadonlyArray<BatchItem>, events: StoredEvent[], target: ProjectionTarget = 'live'): Promise<BatchItemResult[]> {
    return Promise.all(
      items.map(async ({ projection, expectedAfter }): Promise<BatchItemResult> => {
        try {
          return await this.applyBatch(projection, events, expectedAfter, target);
        } catch (error) {
          const stored = await this.readCheckpoint(projection.name, target).catch(() => undefined);
          return { checkpoint: stored?.position ?? expectedAfter, applied: 0, error };
        }
      }),
    );
  }

  async applyBatch(projection: Projection, events: StoredEvent[], expectedAfter: GlobalPosition, target: ProjectionTarget = 'live'): Promise<BatchResult> {
    const key = checkpointKey(projection.name, target);
    const stored = await this.readCheckpoint(projection.name, target);
    if (stored.position < expectedAfter) return { checkpoint: stored.position, applied: 0, rewoundTo: stored.position };
    const fresh = events.filter((event) => event.position > stored.position);
    let next = 0;
    while (next < fresh.length) next = await this.applyWorkingSet(projection, fresh, next, stored.generation);
    const last = events.length ? events[events.length - 1].position : stored.position;
    const checkpoint = Math.max(stored.position, last);
    const moved = await this.checkpointCollection.updateOne(
      { _id: key, position: stored.position, generation: stored.generation },
      { $set: { position: checkpoint, updatedAt: this.now().toISOString() } },
    );
    if (moved.matchedCount === 0) {
      // someone else moved it (a swap, another runner): our guarded writes were harmless; start over from theirs
      const current = await this.readCheckpoint(projection.name, target);
      return { checkpoint: current.position, applied: 0, rewoundTo: current.position };
    }
    return { checkpoint, applied: fresh.length };
  }

  async prepareRebuild(projection: Projection): Promise<void> {
    const live = await this.readCheckpoint(projection.name, 'live');
    const generation = live.generation + 1;
    for (const collection of projection.collections) await this.dropIfExists(mongoCollectionName(collection, generation));
    await this.checkpointCollection.replaceOne(
      { _id: checkpointKey(projection.name, 'rebuild') },
      { position: START, generation, updatedAt: null },
      { upsert: true },
    );
    await this.createCollections(projection, generation);
  }

  async finishRebuild(): Promise<void> {
    // indexes were created with the empty collections; nothing deferred here
  }

  async swapRebuild(projection: Projection): Promise<GlobalPosition> {
    const live = await this.readCheckpoint(projection.name, 'live');
    const rebuilt = await this.readCheckpoint(projection.name, 'rebuild');
    // One document update moves readers and the runner to the rebuilt generation at once.
    const swapped = await this.checkpointCollection.updateOne(
      { _id: projection.name, generation: live.generation },
      { $set: { position: rebuilt.position, generation: rebuilt.generation, updatedAt: this.now().toISOString() } },
    );
    if (swapped.matchedCount === 0) throw new Error(`projection ${projection.name}: another rebuild swapped first`);
    await this.checkpointCollection.deleteOne({ _id: checkpointKey(projection.name, 'rebuild') });
    const drop = async (): Promise<void> => {
      for (const collection of projection.collections) await this.dropIfExists(mongoCollectionName(collection, live.generation));
    };
    if (this.dropOldGenerationAfterMs <= 0) await drop();
    else setTimeout(() => void drop().catch(() => undefined), this.dropOldGenerationAfterMs).unref();
    return rebuilt.position;
  }

  async dropRebuild(projection: Projection): Promise<void> {
    const rebuild = await this.checkpointCollection.findOne({ _id: checkpointKey(projection.name, 'rebuild') });
    if (!rebuild) return;
    for (const collection of projection.collections) await this.dropIfExists(mongoCollectionName(collection, rebuild.generation));
    await this.checkpointCollection.deleteOne({ _id: checkpointKey(projection.name, 'rebuild') });
  }

  /** Runs events from `start` through one working set (until a bulk change closes it) and stores it; returns the next index. */
  private async applyWorkingSet(projection: Projection, events: StoredEvent[], start: number, generation: number): Promise<number> {
    const loaded: LoadedDocuments = new Map();
    // A pass reads only what is loaded and records the rest; load those and run the pass again (it is deterministic).
    for (;;) {
      const workingSet = new WorkingSet(loaded);
      let next = start;
      while (next < events.length && !workingSet.closed) projection.apply(events[next++], workingSet);
      if (workingSet.misses.size === 0) {
        await this.store(workingSet.documentChanges(), workingSet.bulk, generation);
        return next;
      }
      for (const { collection, ids } of workingSet.misses.values()) {
        const known = loaded.get(collection.name) ?? new Map<string, ViewDocument | null>();
        loaded.set(collection.name, known);
        const found = await this.findByIds(mongoCollectionName(collection, generation), [...ids]);
        for (const id of ids) known.set(id, null);
        for (const doc of found) known.set(doc._id, withNulls(collection, fromStored(doc)));
      }
    }
  }

  private async store(changes: DocumentChange[], bulk: BulkChange[], generation: number): Promise<void> {
    const byCollection = new Map<string, AnyBulkWriteOperation<StoredDoc>[]>();
    const ops = (collection: CollectionSpec): AnyBulkWriteOperation<StoredDoc>[] => {
      const name = mongoCollectionName(collection, generation);
      let list = byCollection.get(name);
      if (!list) byCollection.set(name, (list = []));
      return list;
    };
    for (const change of changes) {
      if (!change.after) {
        ops(change.collection).push({ deleteOne: { filter: { _id: change.id, position: { $lt: change.deletedAt ?? 0 } } } });
        continue;
      }
      const { _id, ...fields } = toStored(change.after);
      if (!change.before) {
        ops(change.collection).push({ updateOne: { filter: { _id }, update: { $setOnInsert: fields }, upsert: true } });
        continue;
      }
      // fields a bulk rewrite owns keep their own guard: a row update must not undo a newer rewrite
      for (const owned of change.collection.bulkOwnedFields ?? []) delete fields[owned];
      ops(change.collection).push({ updateOne: { filter: { _id, position: { $lt: change.after.position } }, update: { $set: fields } } });
    }
    for (const change of bulk) {
      const filter = { ...change.match, [change.guardField]: { $lt: change.position } };
      if (change.kind === 'deleteWhere') ops(change.collection).push({ deleteMany: { filter } });
      else ops(change.collection).push({ updateMany: { filter, update: { $set: { ...change.set, [change.guardField]: change.position } } } });
    }
    for (const [name, list] of byCollection) {
      // in order, in slices: FerretDB slows down more than linearly with the size of one write command
      for (let i = 0; i < list.length; i += 50) {
        await this.db.collection<StoredDoc>(name).bulkWrite(list.slice(i, i + 50), { ordered: true });
      }
    }
  }

  private async findByIds(name: string, ids: string[]): Promise<StoredDoc[]> {
    const collection = this.db.collection<StoredDoc>(name);
    this.ferretDb ??= this.db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => typeof info.ferretdbVersion === 'string')
      .catch(() => false);
    // FerretDB answers _id equality from its primary key but scans the collection for $in
    if (await this.ferretDb) {
      const found: StoredDoc[] = [];
      // a few at a time: a burst of connections makes FerretDB's SQLite backend stall
      for (let i = 0; i < ids.length; i += 8) {
        const docs = await Promise.all(ids.slice(i, i + 8).map((_id) => collection.findOne({ _id })));
        for (const doc of docs) if (doc) found.push(doc);
      }
      return found;
    }
    return collection.find({ _id: { $in: ids } }).toArray();
  }

  private async readCheckpoint(name: string, target: ProjectionTarget): Promise<MongoCheckpoint> {
    const doc = await this.checkpointCollection.findOne({ _id: checkpointKey(name, target) });
    return doc ?? { _id: checkpointKey(name, target), position: START, generation: 0, updatedAt: null };
  }

  private async createCollections(projection: Projection, generation: number): Promise<void> {
    const existing = new Set((await this.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (const collection of projection.collections) {
      const name = mongoCollectionName(collection, generation);
      if (!existing.has(name)) await this.db.createCollection(name);
      const present = existing.has(name) ? await this.db.collection(name).indexes() : [];
      const wanted = collection.indexes.map((fields) => ({ key: Object.fromEntries(fields.map((field) => [field, 1])), name: indexName(fields) }));
      // ours (ix_...) whose fields the spec no longer lists: made by an older version
      for (const index of present) {
        if (index.name?.startsWith('ix_') && !wanted.some((w) => keyOf(w.key) === keyOf(index.key))) await this.db.collection(name).dropIndex(index.name);
      }
      // only the missing ones: FerretDB drops the connection when asked to create an index that exists
      const missing = wanted.filter((w) => !present.some((index) => keyOf(index.key) === keyOf(w.key)));
      if (missing.length) await this.db.collection(name).createIndexes(missing);
    }
  }

  private async dropIfExists(name: string): Promise<void> {
    const found = await this.db.listCollections({ name }, { nameOnly: true }).toArray();
    if (found.length) await this.db.collection(name).drop();
  }
}

/** An index is named by its fields, so a changed field list never meets an older index under the same name. */
function indexName(fields: ReadonlyArray<string>): string {
  return `ix_${fields.join('_')}`;
}

/** An index key as comparable text: fields in order, with their direction. */
function keyOf(key: Record<string, unknown>): string {
  return Object.entries(key)
    .map(([field, direction]) => `${field}:${Number(direction)}`)
    .join(',');
}
