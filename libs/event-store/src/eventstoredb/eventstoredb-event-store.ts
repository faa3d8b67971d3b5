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
  eventIdKey,
  fromEsdbCurrentRevision,
  isSystemEvent,
  toEsdbEventData,
  toEsdbExpectedRevision,
  toEsdbReadPosition,
  toStoredEvent,
} from './eventstoredb-mapping';
import { assertDistinctEventIds, assertExpectedRevision, validateExpectedRevision } from '../expected-revision';
import { EventStoreDbSubscription } from './eventstoredb-subscription';

const DEFAULT_BATCH_SIZE = 500;
/** An append that keeps losing the race for the stream's end gives up after this many looks at it. */
const MAX_APPEND_ATTEMPTS = 10;

/** The part of the official client this adapter uses (its unit spec drives it through an in-process fake). */
export type EventStoreDbClientApi = Pick<EventStoreDBClient, 'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'>;

/** Reads that must see the latest append: a follower may lag behind the leader that took it. */
const FROM_LEADER = { requiresLeader: true } as const;

/**
 * Event store of the distributed profile, over EventStoreDB / KurrentDB. The server orders events
 * and checks the expected revision; the port's event-id contract is kept here, because the server
 * refuses a known id only when the expected revision is behind the stream's end (and for `any`
 * only against a bounded cache, judged by the batch's first id): every append reads the stream's
 * ids first and appends pinned to the revision it read, so a racing append makes it look again.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDbClientApi;
  private readonly subscriptions = new Set<EventStoreDbSubscription>();

  constructor(connection: string | EventStoreDbClientApi) {
    // @eventstore/db-client 6 parses esdb:// and esdb+discover:// only (kurrentdb:// needs a newer client).
    this.client = typeof connection === 'string' ? EventStoreDBClient.connectionString(connection) : connection;
  }

  async appendToStream(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    validateExpectedRevision(expected);
    assertDistinctEventIds(streamId, events);
    let refusedAt: number | 'no_stream' = 'no_stream';
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const stream = await this.readStreamFrom(streamId, 0, FROM_LEADER);
      const original = originalResultOfRetry(streamId, events, stream);
      if (original) return original;
      const tip = stream.at(-1);
      assertExpectedRevision(streamId, expected, tip?.revision);
      if (events.length === 0) return { nextExpectedRevision: tip?.revision ?? -1, position: tip?.position ?? START };
      // `any` is pinned to the end just read: an append in between (maybe of these very ids) is refused, then looked at.
      const pinned: ExpectedRevision = expected === 'any' ? (tip?.revision ?? 'no_stream') : expected;
      const appended = await this.appendPinned(streamId, events, pinned);
      if ('refusedAt' in appended) {
        refusedAt = appended.refusedAt;
        continue;
      }
      return { nextExpectedRevision: appended.revision, position: await this.positionOfRevision(streamId, appended.revision) };
    }
    throw new WrongExpectedRevisionError(streamId, expected, refusedAt);
  }

  async readStream(streamId: string, options: { fromRevision?: number } = {}): Promise<StoredEvent[]> {
    return this.readStreamFrom(streamId, options.fromRevision ?? 0, {});
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
    // A subscription's close never rejects, but the client must be disposed whatever happens to them.
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  /** Appends at exactly `pinned`; a refusal (thrown, or reported when throwOnAppendFailure=false) is returned. */
  private async appendPinned(
    streamId: string,
    events: NewEvent[],
    pinned: ExpectedRevision,
  ): Promise<{ revision: number } | { refusedAt: number | 'no_stream' }> {
    try {
      const appended = await this.client.appendToStream(streamId, events.map(toEsdbEventData), {
        expectedRevision: toEsdbExpectedRevision(pinned),
        ...FROM_LEADER,
      });
      if (!appended.success) {
        const current = Number(appended.nextExpectedRevision);
        return { refusedAt: current < 0 ? 'no_stream' : current };
      }
      return { revision: Number(appended.nextExpectedRevision) };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return { refusedAt: fromEsdbCurrentRevision(error.actualVersion) };
      throw error;
    }
  }

  /** The append reply's position is not always the last event's own: read it back, from the leader that took it. */
  private async positionOfRevision(streamId: string, revision: number): Promise<GlobalPosition> {
    const [last] = await this.readStreamFrom(streamId, revision, { ...FROM_LEADER, maxCount: 1 });
    if (!last) throw new Error(`stream ${streamId}: revision ${revision} was just appended but cannot be read back`);
    return last.position;
  }

  private async readStreamFrom(
    streamId: string,
    fromRevision: number,
    options: { requiresLeader?: boolean; maxCount?: number },
  ): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, { fromRevision: BigInt(fromRevision), ...options })) {
        if (resolved.event) events.push(toStoredEvent(resolved.event));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }
}

/**
 * The first answer when every id of the batch is already in the stream (a retry), undefined when
 * none is; a mix is refused. Ids are compared case-insensitively: the server gives them back lower-cased.
 */
function originalResultOfRetry(streamId: string, events: NewEvent[], stream: StoredEvent[]): AppendResult | undefined {
  if (events.length === 0) return undefined;
  const storedById = new Map(stream.map((stored) => [eventIdKey(stored.id), stored]));
  const known = events.filter((event) => storedById.has(eventIdKey(event.id)));
  if (known.length === 0) return undefined;
  if (known.length < events.length) throw new EventIdConflictError(streamId, known.map((event) => event.id));
  const last = storedById.get(eventIdKey(events[events.length - 1].id)) as StoredEvent;
  return { nextExpectedRevision: last.revision, position: last.position };
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
