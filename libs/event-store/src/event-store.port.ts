/**
 * The event store port. Adapters: SQLite (embedded profile), EventStoreDB and PostgreSQL (distributed).
 * All are proven by the same contract suite in test/contract.
 */

/** What an append expects of the stream: absent, anything, or exactly this revision (0-based). */
export type ExpectedRevision = 'no_stream' | 'any' | number;

/** Position of an event in the global ($all) order. Strictly increasing; comparable as numbers. */
export type GlobalPosition = number;

/** The position before the first event: "from the start". */
export const START: GlobalPosition = -1;

export interface NewEvent<Data = unknown, Metadata = Record<string, unknown>> {
  /**
   * A UUID, unique within its stream; appending an id already in the stream stores nothing twice.
   * Ids compare case-insensitively and are read back lower-cased (EventStoreDB keeps them as GUIDs).
   */
  id: string;
  type: string;
  data: Data;
  metadata: Metadata;
}

export interface StoredEvent<Data = unknown, Metadata = Record<string, unknown>> extends NewEvent<Data, Metadata> {
  streamId: string;
  /** 0-based revision within its stream */
  revision: number;
  position: GlobalPosition;
  recordedAt: Date;
}

export interface AppendResult {
  /** revision of the last event now in the stream; pass it as the next expected revision */
  nextExpectedRevision: number;
  /** global position of the last event appended */
  position: GlobalPosition;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/**
 * A batch mixed event ids already stored in the stream with new ones: neither a clean retry
 * (all known, stores nothing) nor a fresh append (all new), so nothing is stored.
 */
export class EventIdConflictError extends Error {
  constructor(
    readonly streamId: string,
    readonly knownIds: readonly string[],
  ) {
    super(`stream ${streamId}: batch mixes already stored event ids (${knownIds.join(', ')}) with new ones`);
    this.name = 'EventIdConflictError';
  }
}

export interface ReadAllOptions {
  /** exclusive: events strictly after this position; START for everything */
  after?: GlobalPosition;
  maxCount?: number;
}

export interface SubscribeOptions {
  /** exclusive: deliver events strictly after this position (a stored checkpoint) */
  after?: GlobalPosition;
  /** largest batch delivered at once while catching up */
  batchSize?: number;
}

/**
 * Catch-up then live: yields batches of events in global order, first those already stored
 * after `after`, then new ones as they are appended. Never yields an empty batch.
 */
export interface EventSubscription extends AsyncIterable<StoredEvent[]> {
  close(): Promise<void>;
}

export interface EventStore {
  appendToStream(streamId: string, events: NewEvent[], options?: { expectedRevision?: ExpectedRevision }): Promise<AppendResult>;
  /** every event of the stream in revision order; [] when the stream does not exist */
  readStream(streamId: string, options?: { fromRevision?: number }): Promise<StoredEvent[]>;
  /** events in global order, system events excluded */
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /** position of the newest event, START when empty */
  headPosition(): Promise<GlobalPosition>;
  subscribeToAll(options?: SubscribeOptions): EventSubscription;
  close(): Promise<void>;
}
