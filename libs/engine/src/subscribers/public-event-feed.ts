import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { EventStore, EventSubscription, StoredEvent } from '@app/event-store';
import { evolve, initialState, parsePointsAccountStream } from '@app/ledger';
import type { PointsAccountEvent, PointsAccountState } from '@app/ledger';
import { EVENT_STORE } from '../tokens';
import { decodeCursor, encodeCursor, isPublicEventType, PublicEvent, PublicEventType, publicPointsEvent, publicStandaloneEvent } from './public-events';

/** What a subscriber follows: one tenant (the token's), optionally some types and stores. */
export interface PublicEventFilter {
  tenant: string;
  types?: readonly PublicEventType[];
  stores?: readonly string[];
}

export interface PublicEventPage {
  events: PublicEvent[];
  /** resume after this; past every event read, even those the filter left out */
  cursor: string;
  /** false: the page reached the newest event */
  more: boolean;
}

/** Most public events one page holds, and how many stored events one page may scan to fill it. */
export const MAX_PAGE = 500;
const SCAN_LIMIT = 5_000;
const READ_CHUNK = 500;
const FOLD_CACHE_SIZE = 10_000;
const MAPPED_CACHE_SIZE = 5_000;

/** A subscriber's request names something that is not there (a cursor, an event type): a 400 on `field`. */
export class SubscriberInputError extends Error {
  override name = 'SubscriberInputError';
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/** Parses a client's cursor (absent = from the beginning); SubscriberInputError otherwise. */
export function parseCursor(cursor: string | undefined, field = 'after'): number {
  if (cursor === undefined || cursor === '') return -1;
  const position = decodeCursor(cursor);
  if (position === undefined) throw new SubscriberInputError(field, `${field} is not a cursor this API gave out`);
  return position;
}

/**
 * The public event catalogue over the event store: maps stored events to public ones (folding each
 * account to give its balance after the event) and pages them from a cursor. Polling, SSE and the
 * webhook dispatcher all read through here, so one cursor means the same thing to all three.
 */
@Injectable()
export class PublicEventFeed implements OnModuleDestroy {
  /** the account state after its latest mapped event, per stream; events mostly arrive in stream order */
  private readonly folds = new Map<string, { revision: number; state: PointsAccountState }>();
  /** recently mapped events by position, oldest first */
  private readonly mapped = new Map<number, PublicEvent | undefined>();
  private readonly head = new EventEmitter();
  private headSubscription?: EventSubscription;
  private following = false;

  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {
    this.head.setMaxListeners(0);
  }

  /** The public event of one stored event (undefined for events with no public name). */
  async toPublic(stored: StoredEvent): Promise<PublicEvent | undefined> {
    // a stored event never changes: every endpoint and stream reading the same position shares one mapping
    if (this.mapped.has(stored.position)) return this.mapped.get(stored.position);
    const event = parsePointsAccountStream(stored.streamId) ? publicPointsEvent(stored, await this.stateAfter(stored)) : publicStandaloneEvent(stored);
    this.mapped.set(stored.position, event);
    if (this.mapped.size > MAPPED_CACHE_SIZE) this.mapped.delete(this.mapped.keys().next().value as number);
    return event;
  }

  matches(event: PublicEvent, filter: PublicEventFilter): boolean {
    return (
      event.tenant === filter.tenant &&
      (!filter.types?.length || filter.types.includes(event.type)) &&
      (!filter.stores?.length || filter.stores.includes(event.storeCode))
    );
  }

  /** The next public events after `after` that pass the filter, in global order. */
  async page(after: number, filter: PublicEventFilter, limit = MAX_PAGE): Promise<PublicEventPage> {
    const found: PublicEvent[] = [];
    let scanned = 0;
    let position = after;
    // a small page reads little beyond what it returns; filtered pages read on in chunks
    const chunkSize = Math.min(READ_CHUNK, Math.max(limit, 50));
    for (;;) {
      const chunk = await this.events.readAll({ after: position, maxCount: chunkSize });
      for (const stored of chunk) {
        scanned++;
        position = stored.position;
        // cheap tenant check first: other tenants' events are never folded for this reader
        if ((stored.metadata as { tenant?: unknown }).tenant !== filter.tenant) continue;
        const event = await this.toPublic(stored);
        if (event && this.matches(event, filter)) found.push(event);
        if (found.length >= limit) return { events: found, cursor: encodeCursor(position), more: true };
      }
      if (chunk.length < chunkSize) return { events: found, cursor: encodeCursor(position), more: false };
      if (scanned >= SCAN_LIMIT) return { events: found, cursor: encodeCursor(position), more: true };
    }
  }

  /**
   * Follows the feed from `after`: yields public events as they are stored and `heartbeat` after
   * `heartbeatMs` of quiet. Pull-based: it reads the store only when the consumer asks for more,
   * so a slow consumer costs no memory here; it ends when `signal` aborts.
   */
  async *follow(after: number, filter: PublicEventFilter, options: { heartbeatMs: number; signal: AbortSignal }): AsyncGenerator<PublicEvent | 'heartbeat'> {
    let appended = true;
    let wake: (() => void) | undefined;
    const stopListening = this.onAppended(() => {
      appended = true;
      wake?.();
    });
    const onAbort = () => wake?.();
    options.signal.addEventListener('abort', onAbort);
    try {
      let position = after;
      while (!options.signal.aborted) {
        if (appended) {
          appended = false;
          let more = true;
          while (more && !options.signal.aborted) {
            const page = await this.page(position, filter, MAX_PAGE);
            for (const event of page.events) yield event;
            position = decodeCursor(page.cursor) as number;
            more = page.more;
          }
          continue;
        }
        const quiet = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), options.heartbeatMs);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
          if (appended || options.signal.aborted) wake();
        });
        wake = undefined;
        if (quiet && !options.signal.aborted) yield 'heartbeat';
      }
    } finally {
      stopListening();
      options.signal.removeEventListener('abort', onAbort);
    }
  }

  /** The first global position recorded at or after `instant` (for replays from a moment), minus one. */
  async positionBefore(instant: Date): Promise<number> {
    let position = -1;
    for (;;) {
      const chunk = await this.events.readAll({ after: position, maxCount: READ_CHUNK });
      for (const stored of chunk) {
        if (stored.recordedAt.getTime() >= instant.getTime()) return position;
        position = stored.position;
      }
      if (chunk.length < READ_CHUNK) return position;
    }
  }

  /** Calls `listener` whenever new events were stored (any tenant); returns the unsubscribe. */
  onAppended(listener: (position: number) => void): () => void {
    this.followHead();
    this.head.on('appended', listener);
    return () => this.head.off('appended', listener);
  }

  async onModuleDestroy(): Promise<void> {
    this.following = false;
    await this.headSubscription?.close();
  }

  async headPosition(): Promise<number> {
    return this.events.headPosition();
  }

  private followHead(): void {
    if (this.following) return;
    this.following = true;
    void (async () => {
      while (this.following) {
        try {
          const head = await this.events.headPosition();
          if (!this.following) return;
          // only a signal: readers page from their own cursor, so nothing is buffered here
          this.headSubscription = this.events.subscribeToAll({ after: head, batchSize: 1_000 });
          for await (const batch of this.headSubscription) this.head.emit('appended', batch[batch.length - 1].position);
        } catch {
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    })();
  }

  private async stateAfter(stored: StoredEvent): Promise<PointsAccountState> {
    const cached = this.folds.get(stored.streamId);
    let next: PointsAccountState;
    if (cached && cached.revision === stored.revision) return cached.state;
    if (cached && cached.revision === stored.revision - 1) {
      next = evolveKnown(cached.state, stored);
    } else {
      const stream = await this.events.readStream(stored.streamId);
      next = stream
        .filter((event) => event.revision <= stored.revision)
        .reduce((state, event) => evolveKnown(state, event), initialState());
    }
    this.folds.delete(stored.streamId);
    this.folds.set(stored.streamId, { revision: stored.revision, state: next });
    if (this.folds.size > FOLD_CACHE_SIZE) this.folds.delete(this.folds.keys().next().value as string);
    return next;
  }
}

const FOLDED_TYPES = new Set(['AccountOpened', 'AccountClosed', 'PointsAdded', 'PointsActivated', 'PointsSpent', 'PointsBlocked', 'PointsExpired', 'PointsCancelled']);

function evolveKnown(state: PointsAccountState, stored: StoredEvent): PointsAccountState {
  return FOLDED_TYPES.has(stored.type) ? evolve(state, { type: stored.type, data: stored.data } as PointsAccountEvent) : state;
}

/** Parses `types` (comma separated) into public types; SubscriberInputError otherwise. */
export function parseEventTypes(raw: string | readonly string[] | undefined, field = 'types'): PublicEventType[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  const words = (typeof raw === 'string' ? raw.split(',') : [...raw]).map((word) => word.trim()).filter(Boolean);
  const unknown = words.filter((word) => !isPublicEventType(word));
  if (unknown.length) {
    throw new SubscriberInputError(field, `unknown event types: ${unknown.join(', ')} (see GET /api/events/schemas)`);
  }
  return [...new Set(words)] as PublicEventType[];
}
