import { Client, DatabaseError, Pool, PoolClient } from 'pg';
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
import { assertExpectedRevision, validateExpectedRevision } from '../expected-revision';
import { appendChannel, EVENT_COLUMNS, lockSchemaCreation, schemaStatements, validateSchemaName } from './postgres-schema';
import { AppendSignal, PolledSubscription } from '../polled-subscription';

export interface PostgresEventStoreOptions {
  /** postgres://user:password@host:port/database */
  connectionString: string;
  /** schema holding the events table, created on first use */
  schema?: string;
  /** clock for recordedAt; the append time */
  now?: () => Date;
  /** safety poll of a live subscription, should a notification be lost with its connection, in ms */
  pollIntervalMs?: number;
  /** largest batch a subscription delivers when none is asked for */
  defaultBatchSize?: number;
  /** connections of the pool appends and reads share */
  maxConnections?: number;
}

interface EventRow {
  position: string;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

interface StoredTip {
  revision: number;
  position: string;
}

const DEFAULT_SCHEMA = 'loyalty';
const DEFAULT_POLL_INTERVAL_MS = 2_000;
const DEFAULT_BATCH_SIZE = 500;
const UNIQUE_VIOLATION = '23505';
const MAX_ATTEMPTS = 5;

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    streamId: row.stream_id,
    revision: row.revision,
    position: Number(row.position),
    recordedAt: row.recorded_at,
  };
}

/**
 * Event store of the distributed profile on PostgreSQL: one events table shared by every replica.
 * Positions come from a sequence taken under an advisory lock held until commit (see
 * postgres-schema.ts), so they become visible in order and readers never skip one. A live
 * subscription is woken by LISTEN/NOTIFY from the table's insert trigger, whoever appended.
 */
export class PostgresEventStore implements EventStore {
  readonly schema: string;
  private readonly pool: Pool;
  private readonly now: () => Date;
  private readonly pollIntervalMs: number;
  private readonly defaultBatchSize: number;
  private readonly subscriptions = new Set<PolledSubscription>();
  private readonly signal = new AppendSignal();
  private readyPromise: Promise<void> | undefined;
  /** the connection LISTENing for appends, opened with the first subscription */
  private listener: Promise<Client> | undefined;
  private closed = false;

  constructor(private readonly options: PostgresEventStoreOptions) {
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    validateSchemaName(this.schema);
    this.now = options.now ?? (() => new Date());
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.defaultBatchSize = options.defaultBatchSize ?? DEFAULT_BATCH_SIZE;
    this.pool = new Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
    // an idle pooled connection the server dropped must not crash the process; the next query reconnects
    this.pool.on('error', () => undefined);
  }

  async appendToStream(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    validateExpectedRevision(expected);
    // ids are GUIDs, compared and stored lower-cased, as the port says
    if (new Set(events.map((event) => event.id.toLowerCase())).size !== events.length) {
      throw new RangeError(`stream ${streamId}: the batch repeats an event id`);
    }
    // serialized before anything is sent: a value JSON cannot hold is refused without a round trip
    const rows = events.map((event) => ({
      id: event.id.toLowerCase(),
      type: event.type,
      data: JSON.stringify(event.data ?? null),
      metadata: JSON.stringify(event.metadata ?? {}),
    }));
    await this.ready();
    for (let attempt = 1; ; attempt += 1) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        // appends to one stream take turns (any replica), so the tip read below is still the tip at insert
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.schema}/${streamId}`]);
        const result = await this.appendNow(client, streamId, rows, expected);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // a connection that cannot even roll back is dropped, not handed to the next caller
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        // only a writer that skips the stream lock can collide on a unique constraint: start over, it then sees that write
        if (!(error instanceof DatabaseError && error.code === UNIQUE_VIOLATION) || attempt === MAX_ATTEMPTS) throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  async readStream(streamId: string, options: { fromRevision?: number } = {}): Promise<StoredEvent[]> {
    await this.ready();
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision`,
      [streamId, options.fromRevision ?? 0],
    );
    return rows.map(toStoredEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    await this.ready();
    return this.readAllAfter(options.after ?? START, options.maxCount ?? null);
  }

  async headPosition(): Promise<GlobalPosition> {
    await this.ready();
    const { rows } = await this.pool.query<{ position: string | null }>(`SELECT max(position) AS position FROM ${this.schema}.events`);
    return rows[0].position === null ? START : Number(rows[0].position);
  }

  subscribeToAll(options: SubscribeOptions = {}): EventSubscription {
    const subscription = new PolledSubscription({
      after: options.after ?? START,
      batchSize: options.batchSize ?? this.defaultBatchSize,
      pollIntervalMs: this.pollIntervalMs,
      signal: this.signal,
      // LISTEN before every read: an append committed after the read cannot go unnoticed
      beforeRead: () => this.listen(),
      readAfter: (after, maxCount) => this.readAllAfter(after, maxCount),
      onClose: (closed) => this.subscriptions.delete(closed),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Ends every subscription and the store's connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    const listener = this.listener;
    this.listener = undefined;
    await listener?.then((client) => client.end()).catch(() => undefined);
    await this.pool.end();
  }

  /** Creates the schema on first use; a failure is retried by the next call. */
  private ready(): Promise<void> {
    this.readyPromise ??= this.createSchema().catch((error: unknown) => {
      this.readyPromise = undefined;
      throw error;
    });
    return this.readyPromise;
  }

  private async createSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(lockSchemaCreation(this.schema));
      // all of it is made in one transaction, so the table stands for the whole; re-running the DDL on a live
      // schema would lock the position sequence and the table against appends in flight (and deadlock with them)
      const { rows } = await client.query<{ events: string | null }>(`SELECT to_regclass('${this.schema}.events') AS events`);
      if (rows[0].events === null) {
        for (const statement of schemaStatements(this.schema)) await client.query(statement);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Schema ready and LISTEN in place (again, if its connection was lost). */
  private async listen(): Promise<void> {
    await this.ready();
    if (this.closed) return;
    this.listener ??= this.openListener().catch((error: unknown) => {
      this.listener = undefined;
      throw error;
    });
    await this.listener;
  }

  private async openListener(): Promise<Client> {
    const client = new Client({ connectionString: this.options.connectionString });
    const lost = (): void => {
      // woken subscriptions LISTEN again on a new connection before they read, so nothing committed meanwhile is missed
      this.listener = undefined;
      client.end().catch(() => undefined);
      this.signal.notify();
    };
    client.on('notification', () => this.signal.notify());
    client.on('error', lost);
    await client.connect();
    await client.query(`LISTEN ${appendChannel(this.schema)}`);
    return client;
  }

  private async readAllAfter(after: GlobalPosition, maxCount: number | null): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.schema}.events WHERE position > $1 ORDER BY position LIMIT $2`,
      [after, maxCount],
    );
    return rows.map(toStoredEvent);
  }

  private async appendNow(
    client: PoolClient,
    streamId: string,
    events: { id: string; type: string; data: string; metadata: string }[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    const { rows: known } = await client.query<StoredTip & { event_id: string }>(
      `SELECT event_id, revision, position FROM ${this.schema}.events WHERE stream_id = $1 AND event_id = ANY($2::text[])`,
      [streamId, events.map((event) => event.id)],
    );
    if (known.length > 0 && known.length === events.length) {
      // A client retry of a batch that was already stored: answer as the first time, store nothing.
      const last = known.reduce((latest, tip) => (tip.revision > latest.revision ? tip : latest));
      return { nextExpectedRevision: last.revision, position: Number(last.position) };
    }
    if (known.length > 0) {
      const knownIds = new Set(known.map((tip) => tip.event_id));
      throw new EventIdConflictError(streamId, events.filter((event) => knownIds.has(event.id)).map((event) => event.id));
    }

    const { rows: tips } = await client.query<StoredTip>(
      `SELECT revision, position FROM ${this.schema}.events WHERE stream_id = $1 ORDER BY revision DESC LIMIT 1`,
      [streamId],
    );
    const tip = tips[0];
    assertExpectedRevision(streamId, expected, tip?.revision);
    const fromRevision = (tip?.revision ?? -1) + 1;
    if (events.length === 0) return { nextExpectedRevision: fromRevision - 1, position: tip ? Number(tip.position) : START };

    const { rows: inserted } = await client.query<{ position: string }>(
      `INSERT INTO ${this.schema}.events (stream_id, revision, event_id, type, data, metadata, recorded_at)
       SELECT $1, $2::integer + batch.ordinality::integer - 1, batch.event_id, batch.type, batch.data::json, batch.metadata::json, $7
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS batch(event_id, type, data, metadata, ordinality)
       ORDER BY batch.ordinality
       RETURNING position`,
      [
        streamId,
        fromRevision,
        events.map((event) => event.id),
        events.map((event) => event.type),
        events.map((event) => event.data),
        events.map((event) => event.metadata),
        this.now(),
      ],
    );
    const position = Math.max(...inserted.map((row) => Number(row.position)));
    return { nextExpectedRevision: fromRevision + events.length - 1, position };
  }
}
