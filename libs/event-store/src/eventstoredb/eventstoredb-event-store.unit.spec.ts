import {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  AppendExpectedRevision,
  AppendResult as EsdbAppendResult,
  AppendToStreamOptions,
  EventData,
  JSONRecordedEvent,
  ReadAllOptions as EsdbReadAllOptions,
  ReadStreamOptions,
  ResolvedEvent,
  StreamNotFoundError,
  StreamingRead,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { EventIdConflictError, NewEvent, WrongExpectedRevisionError } from '../event-store.port';
import { EventStoreDbClientApi, EventStoreDbEventStore } from './eventstoredb-event-store';
import { toEsdbEventData } from './eventstoredb-mapping';

/**
 * No EventStoreDB server can run on our machines, so this spec drives the adapter through a small
 * in-process fake of the client's API surface that behaves as the server does where the adapter
 * once trusted it wrongly (KurrentDB's append path, read against its source):
 * - a known id is refused only when the expected revision is behind the stream's end; an append at
 *   the end (or with `any`, past its bounded cache) stores the same ids again;
 * - ids come back lower-cased; stream reads of a server before 22.6 carry no position (the client
 *   then fills in 0/0);
 * - with throwOnAppendFailure=false a refused append resolves with success: false.
 * The same rules run against a real server in test/contract/event-store.contract.int.spec.ts
 * wherever EVENTSTORE_CONNECTION_STRING is given.
 */
class FakeEventStoreDbClient implements EventStoreDbClientApi {
  readonly streams = new Map<string, JSONRecordedEvent[]>();
  readonly log: JSONRecordedEvent[] = [];
  readonly streamReads: { streamId: string; requiresLeader: boolean }[] = [];
  disposed = false;
  /** runs once, just before the next append is taken: another writer getting in first */
  beforeNextAppend: (() => void) | undefined;
  private nextPosition = 4_096n;

  constructor(private readonly options: { throwOnAppendFailure?: boolean; positionsOnStreamReads?: boolean } = {}) {}

  appendToStream = (async (streamId: string, events: EventData | EventData[], options: AppendToStreamOptions = {}): Promise<EsdbAppendResult> => {
    const racer = this.beforeNextAppend;
    this.beforeNextAppend = undefined;
    racer?.();
    const batch = Array.isArray(events) ? events : [events];
    const stream = this.streams.get(streamId);
    const tip = stream ? BigInt(stream.length - 1) : undefined;
    const expected: AppendExpectedRevision = options.expectedRevision ?? 'any';
    const matches = expected === 'any' || (expected === 'no_stream' ? tip === undefined : expected === 'stream_exists' ? tip !== undefined : tip === expected);
    if (!matches) {
      const behind = stream && (expected === 'no_stream' ? -1n : (expected as bigint)) < (tip as bigint);
      const from = expected === 'no_stream' ? 0 : Number(expected) + 1;
      // The server's idempotent answer: only behind the end, and only when the batch is exactly what follows.
      if (behind && batch.every((event, i) => stream[from + i]?.id === (event.id as string).toLowerCase())) {
        return { success: true, nextExpectedRevision: BigInt(from + batch.length - 1), position: undefined };
      }
      if (this.options.throwOnAppendFailure === false) return { success: false, nextExpectedRevision: tip ?? -1n, position: undefined };
      throw new WrongExpectedVersionError(undefined, { streamName: streamId, current: tip ?? 'no_stream', expected });
    }
    const stored = stream ?? [];
    for (const event of batch) {
      const position = { commit: this.nextPosition, prepare: this.nextPosition };
      this.nextPosition += 173n;
      const recorded: JSONRecordedEvent = {
        streamId,
        id: (event.id as string).toLowerCase(),
        revision: BigInt(stored.length),
        type: event.type,
        data: event.data as JSONRecordedEvent['data'],
        metadata: event.metadata as JSONRecordedEvent['metadata'],
        isJson: true,
        created: new Date(),
        position,
      };
      stored.push(recorded);
      this.log.push(recorded);
    }
    this.streams.set(streamId, stored);
    return { success: true, nextExpectedRevision: BigInt(stored.length - 1), position: stored[stored.length - 1].position };
  }) as EventStoreDbClientApi['appendToStream'];

  readStream = ((streamId: string, options: ReadStreamOptions = {}) => {
    this.streamReads.push({ streamId, requiresLeader: options.requiresLeader === true });
    const stream = this.streams.get(streamId);
    if (!stream) return streamingRead([], new StreamNotFoundError(undefined, streamId));
    const from = Number(options.fromRevision ?? 0n);
    const to = from + Number(options.maxCount ?? stream.length);
    const positions = this.options.positionsOnStreamReads ?? true;
    return streamingRead(
      stream.slice(from, to).map((event) => ({ event: positions ? event : { ...event, position: { commit: 0n, prepare: 0n } } })),
    );
  }) as EventStoreDbClientApi['readStream'];

  readAll = ((options: EsdbReadAllOptions = {}) => {
    const events = options.direction === 'backwards' ? [...this.log].reverse() : this.log;
    return streamingRead(events.map((event) => ({ event, commitPosition: event.position?.commit })));
  }) as EventStoreDbClientApi['readAll'];

  subscribeToAll = (() => {
    throw new Error('the fake serves no subscriptions; eventstoredb-subscription.unit.spec.ts covers them');
  }) as unknown as EventStoreDbClientApi['subscribeToAll'];

  dispose = async (): Promise<void> => {
    this.disposed = true;
  };
}

function streamingRead<E extends ResolvedEvent | AllStreamResolvedEvent>(items: E[], failure?: Error): StreamingRead<E> {
  const readable = Readable.from(
    (async function* () {
      if (failure) throw failure;
      yield* items;
    })(),
  );
  return Object.assign(readable, { cancel: async () => void readable.destroy() }) as unknown as StreamingRead<E>;
}

function pointsAdded(): NewEvent {
  return { id: randomUUID(), type: 'PointsAdded', data: { points: '1.00' }, metadata: { tenant: 't1' } };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

const STREAM = 'pointsAccount-t1:s1:c1';

describe('EventStoreDbEventStore keeps the event-id contract the server does not', () => {
  it('answers a batch already stored, appended again at the end, with the first result and stores nothing', async () => {
    const server = new FakeEventStoreDbClient();
    const store = new EventStoreDbEventStore(server);
    const batch = [pointsAdded(), pointsAdded()];
    const original = await store.appendToStream(STREAM, batch, { expectedRevision: 'no_stream' });

    const atTheEnd = await store.appendToStream(STREAM, batch, { expectedRevision: 1 });
    const withAny = await store.appendToStream(STREAM, batch, { expectedRevision: 'any' });

    expect(atTheEnd).toEqual(original);
    expect(withAny).toEqual(original);
    expect(server.streams.get(STREAM)).toHaveLength(2);
  });

  it('refuses [new, stored] with EventIdConflictError, storing nothing', async () => {
    const server = new FakeEventStoreDbClient();
    const store = new EventStoreDbEventStore(server);
    const stored = pointsAdded();
    await store.appendToStream(STREAM, [stored], { expectedRevision: 'no_stream' });

    const error = await rejectionOf(store.appendToStream(STREAM, [pointsAdded(), stored], { expectedRevision: 'any' }));

    expect(error).toBeInstanceOf(EventIdConflictError);
    expect(error).toMatchObject({ knownIds: [stored.id] });
    expect(server.streams.get(STREAM)).toHaveLength(1);
  });

  it('refuses a batch that repeats an id, in any case, before sending anything', async () => {
    const server = new FakeEventStoreDbClient();
    const store = new EventStoreDbEventStore(server);
    const event = pointsAdded();

    const error = await rejectionOf(store.appendToStream(STREAM, [event, { ...pointsAdded(), id: event.id.toUpperCase() }]));

    expect(error).toBeInstanceOf(RangeError);
    expect(server.streams.has(STREAM)).toBe(false);
  });

  it('recognises a stored id sent upper-cased, since the server gives ids back lower-cased', async () => {
    const server = new FakeEventStoreDbClient();
    const store = new EventStoreDbEventStore(server);
    const event = pointsAdded();
    const original = await store.appendToStream(STREAM, [event], { expectedRevision: 'no_stream' });

    const retried = await store.appendToStream(STREAM, [{ ...event, id: event.id.toUpperCase() }], { expectedRevision: 'any' });

    expect(retried).toEqual(original);
    expect(server.streams.get(STREAM)).toHaveLength(1);
  });

  it('looks again when the same batch is appended by another writer between its read and its append', async () => {
    const server = new FakeEventStoreDbClient();
    const store = new EventStoreDbEventStore(server);
    await store.appendToStream(STREAM, [pointsAdded()], { expectedRevision: 'no_stream' });
    const batch = [pointsAdded(), pointsAdded()];
    // A takeover re-appending a command's deterministic ids while the first attempt's append lands.
    server.beforeNextAppend = () => void server.appendToStream(STREAM, batch.map(toEsdbEventData));

    const result = await store.appendToStream(STREAM, batch, { expectedRevision: 'any' });

    expect(server.streams.get(STREAM)?.map((event) => event.id)).toEqual([expect.any(String), batch[0].id, batch[1].id]);
    expect(result.nextExpectedRevision).toBe(2);
  });
});

describe('EventStoreDbEventStore against what the server answers', () => {
  it('reports a refused append as a conflict when the connection sets throwOnAppendFailure=false', async () => {
    const server = new FakeEventStoreDbClient({ throwOnAppendFailure: false });
    const store = new EventStoreDbEventStore(server);
    await store.appendToStream(STREAM, [pointsAdded()], { expectedRevision: 'no_stream' });
    // Another writer moves the stream's end after the adapter looked at it.
    server.beforeNextAppend = () => void server.appendToStream(STREAM, [toEsdbEventData(pointsAdded())]);

    const error = await rejectionOf(store.appendToStream(STREAM, [pointsAdded()], { expectedRevision: 0 }));

    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect(error).toMatchObject({ expected: 0, actual: 1 });
    expect(server.streams.get(STREAM)).toHaveLength(2);
  });

  it('refuses a server before 22.6, whose stream reads carry no position', async () => {
    const server = new FakeEventStoreDbClient({ positionsOnStreamReads: false });
    const store = new EventStoreDbEventStore(server);

    const error = await rejectionOf(store.appendToStream(STREAM, [pointsAdded()], { expectedRevision: 'no_stream' }));

    expect(error).toEqual(expect.objectContaining({ message: expect.stringMatching(/22\.6 or later/) }));
  });

  it('reads the stream it appends to from the leader, before and after the append', async () => {
    const server = new FakeEventStoreDbClient();
    const store = new EventStoreDbEventStore(server);

    const appended = await store.appendToStream(STREAM, [pointsAdded(), pointsAdded()], { expectedRevision: 'no_stream' });

    expect(server.streamReads).toEqual([
      { streamId: STREAM, requiresLeader: true },
      { streamId: STREAM, requiresLeader: true },
    ]);
    expect(appended.position).toBe(Number(server.log[1].position?.commit));
  });

  it('disposes the client on close even when a subscription cannot unsubscribe', async () => {
    const server = new FakeEventStoreDbClient();
    const unreachable = Object.assign(new PassThrough({ objectMode: true }), {
      unsubscribe: () => Promise.reject(new Error('failed to discover the cluster')),
    }) as unknown as AllStreamSubscription;
    server.subscribeToAll = (() => unreachable) as unknown as EventStoreDbClientApi['subscribeToAll'];
    const store = new EventStoreDbEventStore(server);
    const subscription = store.subscribeToAll();

    await expect(store.close()).resolves.toBeUndefined();
    await expect(subscription.close()).resolves.toBeUndefined();
    expect(server.disposed).toBe(true);
  });

  it('takes esdb:// connection strings; kurrentdb:// is refused by client 6 itself, as the README says', async () => {
    expect(() => new EventStoreDbEventStore('kurrentdb://localhost:2113?tls=false')).toThrow(/esdb:\/\/ or esdb\+discover:\/\//);
    const store = new EventStoreDbEventStore('esdb://127.0.0.1:1?tls=false');
    await store.close();
  });
});
