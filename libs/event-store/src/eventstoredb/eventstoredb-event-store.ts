import {
  AllStreamResolvedEvent,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  StreamNotFoundError,
  StreamingRead,
  WrongExpectedVersionError,
  excludeSystemEvents,
} from '@eventstore/db-client';
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
  WrongExpectedRevisionError,
} from '../event-store.port';
import {
  fromEsdbCurrentRevision,
  isSystemEvent,
  toEsdbEventData,
  toEsdbExpectedRevision,
  toEsdbReadPosition,
  toStoredEvent,
} from './eventstoredb-mapping';
import { assertExpectedRevision, validateExpectedRevision } from '../expected-revision';
import { EventStoreDbSubscription } from './eventstoredb-subscription';

const DEFAULT_BATCH_SIZE = 500;

/**
 * Event store of the distributed profile, over EventStoreDB / KurrentDB. Thin on purpose:
 * the server does ordering, concurrency checks and idempotent retries; this class maps types.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<EventStoreDbSubscription>();

  constructor(connectionString: string) {
    this.client = EventStoreDBClient.connectionString(connectionString);
  }

  async appendToStream(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    validateExpectedRevision(expected);
    if (events.length === 0) return this.checkedTip(streamId, expected);
    try {
      const appended = await this.client.appendToStream(streamId, events.map(toEsdbEventData), {
        expectedRevision: toEsdbExpectedRevision(expected),
      });
      const nextExpectedRevision = Number(appended.nextExpectedRevision);
      return { nextExpectedRevision, position: await this.positionOfRevision(streamId, nextExpectedRevision) };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      // The server answers a retry idempotently only at the original expected revision; any later one lands here.
      const original = await this.originalResultOfRetry(streamId, events);
      if (original) return original;
      throw new WrongExpectedRevisionError(streamId, expected, fromEsdbCurrentRevision(error.actualVersion));
    }
  }

  async readStream(streamId: string, options: { fromRevision?: number } = {}): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, { fromRevision: BigInt(options.fromRevision ?? 0) })) {
        if (resolved.event) events.push(toStoredEvent(resolved.event));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const after = options.after ?? START;
    const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
    const events: StoredEvent[] = [];
    if (maxCount <= 0) return events;
    // No server-side filter for reads in this client, and system events would eat into maxCount: filter here.
    await readUntil(this.client.readAll({ fromPosition: toEsdbReadPosition(after), direction: FORWARDS }), (resolved) => {
      const recorded = resolved.event;
      if (!recorded || isSystemEvent(recorded) || Number(recorded.position.commit) <= after) return false;
      events.push(toStoredEvent(recorded));
      return events.length >= maxCount;
    });
    return events;
  }

  async headPosition(): Promise<GlobalPosition> {
    let head = START;
    await readUntil(this.client.readAll({ fromPosition: END, direction: BACKWARDS }), (resolved) => {
      if (!resolved.event || isSystemEvent(resolved.event)) return false;
      head = Number(resolved.event.position.commit);
      return true;
    });
    return head;
  }

  subscribeToAll(options: SubscribeOptions = {}): EventSubscription {
    const after = options.after ?? START;
    const subscription = new EventStoreDbSubscription(
      this.client.subscribeToAll({ fromPosition: toEsdbReadPosition(after), filter: excludeSystemEvents() }),
      after,
      options.batchSize ?? DEFAULT_BATCH_SIZE,
      (closed) => this.subscriptions.delete(closed),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  /** The append reply's position is the commit record's, not the last event's: read the event back. */
  private async positionOfRevision(streamId: string, revision: number): Promise<GlobalPosition> {
    const [last] = await this.readStreamPage(streamId, revision, 1);
    if (!last) throw new Error(`stream ${streamId}: revision ${revision} was just appended but cannot be read back`);
    return last.position;
  }

  /** An empty append stores nothing; like SQLite, it only checks the expected revision and reports the tip. */
  private async checkedTip(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    const tip = await this.lastEventOf(streamId);
    assertExpectedRevision(streamId, expected, tip?.revision);
    return { nextExpectedRevision: tip?.revision ?? -1, position: tip?.position ?? START };
  }

  private async lastEventOf(streamId: string): Promise<StoredEvent | undefined> {
    try {
      for await (const resolved of this.client.readStream(streamId, { fromRevision: END, direction: BACKWARDS, maxCount: 1 })) {
        if (resolved.event) return toStoredEvent(resolved.event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
    return undefined;
  }

  /** The original AppendResult when every id of the batch is already in the stream (a client retry). */
  private async originalResultOfRetry(streamId: string, events: NewEvent[]): Promise<AppendResult | undefined> {
    if (events.length === 0) return undefined;
    const storedById = new Map((await this.readStream(streamId)).map((stored) => [stored.id, stored]));
    const known = events.filter((event) => storedById.has(event.id));
    if (known.length === 0) return undefined;
    if (known.length < events.length) throw new EventIdConflictError(streamId, known.map((event) => event.id));
    const last = storedById.get(events[events.length - 1].id) as StoredEvent;
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  private async readStreamPage(streamId: string, fromRevision: number, maxCount: number): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    for await (const resolved of this.client.readStream(streamId, { fromRevision: BigInt(fromRevision), maxCount })) {
      if (resolved.event) events.push(toStoredEvent(resolved.event));
    }
    return events;
  }
}

/** Reads until `done` says so, then cancels the gRPC call instead of draining the rest of $all. */
async function readUntil(
  read: StreamingRead<AllStreamResolvedEvent>,
  done: (resolved: AllStreamResolvedEvent) => boolean,
): Promise<void> {
  let stoppedEarly = false;
  for await (const resolved of read) {
    if (done(resolved)) {
      stoppedEarly = true;
      break;
    }
  }
  if (stoppedEarly) await read.cancel();
}
