import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Statement } from 'better-sqlite3';
import {
  AppendResult,
  EventIdConflictError,
  EventStore,
  EventSubscription,
  ExpectedRevision,
  GlobalPosition,
  NewEvent,
  ReadAllOptions,
  START,
  StoredEvent,
  SubscribeOptions,
} from '../event-store.port';
import { assertDistinctEventIds, assertExpectedRevision, validateExpectedRevision } from '../expected-revision';
import type { SqliteDatabase } from './sqlite-database';
import { AppendSignal, PolledSubscription } from '../polled-subscription';

export interface SqliteEventStoreOptions {
  /** clock for recordedAt; the append time */
  now?: () => Date;
  /** how often a live subscription looks for appends made by other processes, in ms */
  pollIntervalMs?: number;
  /** largest batch a subscription delivers when none is asked for */
  defaultBatchSize?: number;
  /**
   * appends are refused (StorageFullError) while the database's file system has less free space than
   * this, so the projections and the WAL checkpoint keep room to apply what was acknowledged; 0: off
   */
  minFreeBytes?: number;
  /** event types that finish a change already admitted (an idempotent request's answer): they may use the kept space */
  finishingEventTypes?: readonly string[];
}

/** The store refuses to append: its disk is (nearly) full. Nothing of the append was written. */
export class StorageFullError extends Error {
  override name = 'StorageFullError';
  readonly code = 'SQLITE_FULL';
  constructor(readonly freeBytes: number, readonly minFreeBytes: number) {
    super(`the event store's disk has ${freeBytes} bytes free, less than the ${minFreeBytes} kept for the views`);
  }
}

/** statfs is a syscall: while there is room, asked at most this often under load */
const FREE_SPACE_CHECK_MS = 200;

interface EventRow {
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

interface PendingAppend {
  streamId: string;
  events: NewEvent[];
  expected: ExpectedRevision;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

type AppendOutcome = { result: AppendResult } | { error: unknown };

interface StreamTip {
  revision: number;
  position: number;
}

const DEFAULT_POLL_INTERVAL_MS = 250;
const DEFAULT_BATCH_SIZE = 500;
// SQLite reads a negative LIMIT as "no limit".
const NO_LIMIT = -1;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id   TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    event_id    TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (stream_id, revision),
    UNIQUE (stream_id, event_id)
  )`;

const COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, recorded_at';

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.event_id,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    recordedAt: new Date(row.recorded_at),
  };
}

/**
 * Event store of the embedded profile: one table in the shared SQLite file.
 * Global position is the table's rowid, so readAll is a primary-key range scan and positions
 * follow commit order (SQLite has one writer at a time). Appends issued in the same turn of the
 * event loop are group-committed: one transaction, one savepoint per append, so each append is
 * still all-or-nothing and checked against its expected revision on its own.
 */
export class SqliteEventStore implements EventStore {
  private readonly now: () => Date;
  private readonly pollIntervalMs: number;
  private readonly defaultBatchSize: number;
  private readonly subscriptions = new Set<PolledSubscription>();
  /** wakes live subscriptions on the next append through this instance */
  private readonly appended = new AppendSignal();

  private readonly insertEvent: Statement<[string, number, string, string, string, string, number]>;
  private readonly selectStreamTip: Statement<[string], StreamTip>;
  private readonly selectEventById: Statement<[string, string], StreamTip>;
  private readonly selectStream: Statement<[string, number], EventRow>;
  private readonly selectAllAfter: Statement<[number, number], EventRow>;
  private readonly selectHead: Statement<[], { position: number | null }>;
  private readonly commitGroup: (appends: PendingAppend[]) => AppendOutcome[];
  private readonly finishingEventTypes: ReadonlySet<string>;
  /** a refusal while the disk has less free space than kept for the views */
  private readonly freeSpaceRefusal: () => StorageFullError | undefined;
  /** appends waiting for the next group commit */
  private queued: PendingAppend[] = [];

  constructor(db: SqliteDatabase, options: SqliteEventStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
    const minFreeBytes = options.minFreeBytes ?? 0;
    this.finishingEventTypes = new Set(options.finishingEventTypes ?? []);
    const folder = db.memory ? undefined : dirname(db.name);
    let checked = { at: -Infinity, free: Infinity };
    this.freeSpaceRefusal = () => {
      if (minFreeBytes <= 0 || !folder) return undefined;
      // a disk found short is looked at again on every append, so writes resume as soon as space returns
      if (checked.free < minFreeBytes || performance.now() - checked.at > FREE_SPACE_CHECK_MS) {
        const { bavail, bsize } = statfsSync(folder);
        checked = { at: performance.now(), free: Number(bavail) * Number(bsize) };
      }
      return checked.free < minFreeBytes ? new StorageFullError(checked.free, minFreeBytes) : undefined;
    };
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.defaultBatchSize = options.defaultBatchSize ?? DEFAULT_BATCH_SIZE;

    db.exec(SCHEMA);
    this.insertEvent = db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.selectStreamTip = db.prepare('SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1');
    this.selectEventById = db.prepare('SELECT revision, position FROM events WHERE stream_id = ? AND event_id = ?');
    this.selectStream = db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision`);
    this.selectAllAfter = db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`);
    this.selectHead = db.prepare('SELECT MAX(position) AS position FROM events');

    // Called inside the group's transaction, this runs in a savepoint: a refused append leaves the others intact.
    const appendOne = db.transaction((append: PendingAppend) => this.appendNow(append.streamId, append.events, append.expected));
    const group = db.transaction((appends: PendingAppend[]) =>
      appends.map((append): AppendOutcome => {
        try {
          return { result: appendOne(append) };
        } catch (error) {
          return { error };
        }
      }),
    );
    // IMMEDIATE takes the write lock before reading any tip, so another process cannot commit in between.
    this.commitGroup = (appends) => group.immediate(appends);
  }

  async appendToStream(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    validateExpectedRevision(expected);
    assertDistinctEventIds(streamId, events);
    return new Promise<AppendResult>((resolve, reject) => {
      this.queued.push({ streamId, events, expected, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => this.commitQueued());
    });
  }

  async readStream(streamId: string, options: { fromRevision?: number } = {}): Promise<StoredEvent[]> {
    return this.selectStream.all(streamId, options.fromRevision ?? 0).map(toStoredEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return this.readAllAfter(options.after ?? START, options.maxCount ?? NO_LIMIT);
  }

  async headPosition(): Promise<GlobalPosition> {
    return this.selectHead.get()?.position ?? START;
  }

  subscribeToAll(options: SubscribeOptions = {}): EventSubscription {
    const subscription = new PolledSubscription({
      after: options.after ?? START,
      batchSize: options.batchSize ?? this.defaultBatchSize,
      pollIntervalMs: this.pollIntervalMs,
      signal: this.appended,
      readAfter: (after, maxCount) => this.readAllAfter(after, maxCount),
      onClose: (closed) => this.subscriptions.delete(closed),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Ends every subscription; the database handle stays open because its owner shares it with the read models. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
  }

  private readAllAfter(after: GlobalPosition, maxCount: number): StoredEvent[] {
    return this.selectAllAfter.all(after, maxCount).map(toStoredEvent);
  }

  private appendNow(streamId: string, events: NewEvent[], expected: ExpectedRevision): AppendResult {
    // Ids are stored lower-cased, as EventStoreDB keeps them, so they compare case-insensitively.
    const stored = events.map((event) => this.selectEventById.get(streamId, event.id.toLowerCase()));
    const knownCount = stored.filter((tip) => tip !== undefined).length;
    if (knownCount > 0 && knownCount === events.length) {
      // A client retry of a batch that was already stored: answer as the first time, store nothing.
      const last = stored[stored.length - 1] as StreamTip;
      return { nextExpectedRevision: last.revision, position: last.position };
    }
    if (knownCount > 0) {
      throw new EventIdConflictError(
        streamId,
        events.filter((_, index) => stored[index] !== undefined).map((event) => event.id),
      );
    }

    const tip = this.selectStreamTip.get(streamId);
    assertExpectedRevision(streamId, expected, tip?.revision);
    if (events.length === 0) return { nextExpectedRevision: tip?.revision ?? -1, position: tip?.position ?? START };

    const recordedAt = this.now().getTime();
    let revision = tip?.revision ?? -1;
    let position = START;
    for (const event of events) {
      revision += 1;
      const inserted = this.insertEvent.run(
        streamId,
        revision,
        event.id.toLowerCase(),
        event.type,
        JSON.stringify(event.data ?? null),
        JSON.stringify(event.metadata ?? {}),
        recordedAt,
      );
      position = Number(inserted.lastInsertRowid);
    }
    return { nextExpectedRevision: revision, position };
  }

  /**
   * Group commit: every append queued since the last one shares a transaction, so one WAL fsync
   * (synchronous=FULL) covers them all. Callers hear back only after that commit.
   */
  private commitQueued(): void {
    let appends = this.queued;
    this.queued = [];
    const full = this.freeSpaceRefusal();
    if (full) {
      // a change already under way (its idempotency key claimed) may finish; no new one starts
      const starting = appends.filter((append) => !append.events.every((event) => this.finishingEventTypes.has(event.type)));
      for (const append of starting) append.reject(full);
      appends = appends.filter((append) => !starting.includes(append));
      if (!appends.length) return;
    }
    let outcomes: AppendOutcome[];
    try {
      outcomes = this.commitGroup(appends);
    } catch (error) {
      for (const append of appends) append.reject(error);
      return;
    }
    this.wakeSubscriptions();
    appends.forEach((append, index) => {
      const outcome = outcomes[index];
      if ('result' in outcome) append.resolve(outcome.result);
      else append.reject(outcome.error);
    });
  }

  private wakeSubscriptions(): void {
    this.appended.notify();
  }
}
