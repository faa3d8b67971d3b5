import type { GlobalPosition, StoredEvent } from '@app/event-store/event-store.port';
import type { Projection } from './projection';

/** The live tables/collections the API reads, or the shadow ones a rebuild fills from position 0. */
export type ProjectionTarget = 'live' | 'rebuild';

export interface StoredCheckpoint {
  /** last global position applied; START (-1) before the first */
  position: GlobalPosition;
  /** when the checkpoint last moved (runner wall time, ISO), null before the first batch */
  updatedAt: string | null;
}

export interface BatchResult {
  /** the checkpoint after this batch */
  checkpoint: GlobalPosition;
  /** events of the batch applied (those after the stored checkpoint) */
  applied: number;
  /**
   * Set when the stored checkpoint is behind what the caller expected (a rebuild was swapped in,
   * or another runner moved it): nothing was applied; resubscribe after this position.
   */
  rewoundTo?: GlobalPosition;
}

/** One projection's part of a shared batch: where the caller believes its checkpoint is. */
export interface BatchItem {
  projection: Projection;
  /** the checkpoint the caller subscribed from (or the previous result) */
  expectedAfter: GlobalPosition;
}

/** One projection's outcome of a shared batch; `error` set: it applied nothing and its checkpoint stayed. */
export interface BatchItemResult extends BatchResult {
  error?: unknown;
}

/**
 * Where projections keep their views and checkpoints. SQLite commits a batch's view changes and
 * its checkpoint in one transaction; MongoDB writes idempotent, position-guarded changes and then
 * moves the checkpoint compare-and-set.
 */
export interface ProjectionStore {
  readonly kind: 'sqlite' | 'mongodb';
  /** creates the live tables/collections, indexes and checkpoint if missing */
  prepare(projection: Projection): Promise<void>;
  checkpoint(name: string, target?: ProjectionTarget): Promise<StoredCheckpoint>;
  /**
   * Applies the events after the stored checkpoint and moves it to the batch's last position.
   * `expectedAfter` is the checkpoint the caller subscribed from (or the previous result).
   */
  applyBatch(projection: Projection, events: StoredEvent[], expectedAfter: GlobalPosition, target?: ProjectionTarget): Promise<BatchResult>;
  /**
   * The same batch for several projections (results in the same order). SQLite applies them in one
   * transaction, each projection in its own savepoint with its own checkpoint row: a projection that
   * throws leaves the others' changes in. MongoDB applies them one after the other.
   */
  applyBatches(items: ReadonlyArray<BatchItem>, events: StoredEvent[], target?: ProjectionTarget): Promise<BatchItemResult[]>;
  /** several checkpoints at once (one query), in the order of `names` */
  checkpoints(names: ReadonlyArray<string>, target?: ProjectionTarget): Promise<StoredCheckpoint[]>;
  /** fresh, empty shadow tables/collections and a rebuild checkpoint at START */
  prepareRebuild(projection: Projection): Promise<void>;
  /** after the bulk of the replay: builds what the rebuild deferred (indexes), without blocking writers for long */
  finishRebuild(projection: Projection): Promise<void>;
  /** puts the rebuilt views in place of the live ones atomically; returns the live checkpoint now in force */
  swapRebuild(projection: Projection): Promise<GlobalPosition>;
  dropRebuild(projection: Projection): Promise<void>;
  /**
   * Optional (SQLite in a file): replays the engine's own projections from START to `until` into the
   * prepared shadows off the caller's thread (indexes are left to finishRebuild); the rebuild checkpoints end at `until`.
   * Undefined when it cannot (nothing done): the caller replays in process.
   */
  replayInWorkers?(
    projections: ReadonlyArray<Projection>,
    until: GlobalPosition,
    options: { workers: number; batchSize: number; onProgress?: (done: number) => void },
  ): Promise<{ copySeconds: number; events: number } | undefined>;
}
