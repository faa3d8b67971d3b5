import { createHash, randomUUID } from 'node:crypto';
import { EventStore, StoredEvent, WrongExpectedRevisionError } from '@app/event-store';
import { Clock } from '@app/ledger';

/** The events that finish an idempotent request already admitted: its answer, streamed parts, or its abandonment. */
export const IDEMPOTENCY_FINISHING_EVENTS = ['IdempotentRequestCompleted', 'IdempotentResponsePart', 'IdempotentRequestAbandoned'] as const;

/** The first answer to a keyed request, replayed for every repeat of it. */
export interface IdempotentOutcome {
  status: number;
  body: unknown;
  /**
   * A body too large for one event (see StreamedBody): its text in parts, stored as one event
   * each; `body` is then null. A replayed outcome gives the stored parts back, with contentType.
   */
  parts?: AsyncIterable<string> | Iterable<string>;
  contentType?: string;
}

/**
 * A response body a handler produces in chunks (UTF-8 bytes) instead of one value (an import's
 * answer for 100,000 items is about 17 MB of JSON): the HTTP layer streams it, and stores it as
 * text part by part for an idempotent replay. `chunks()` may be called more than once;
 * `release()` frees what backs it once the response has been sent.
 */
export interface StreamedBody {
  readonly streamedBody: true;
  readonly contentType: string;
  chunks(): AsyncIterable<Buffer>;
  release(): Promise<void>;
}

export function isStreamedBody(value: unknown): value is StreamedBody {
  return typeof value === 'object' && value !== null && (value as Partial<StreamedBody>).streamedBody === true;
}

export class IdempotencyKeyReusedError extends Error {
  override name = 'IdempotencyKeyReusedError';
  constructor(readonly key: string) {
    super(`idempotency key "${key}" was already used with a different request`);
  }
}

type ClaimEvent = { type: 'IdempotencyKeyClaimed'; data: { requestHash: string; claimedAt: string } };
type CompletedEvent = { type: 'IdempotentRequestCompleted'; data: { outcome: IdempotentOutcome & { streamedParts?: number } } };
type PartEvent = { type: 'IdempotentResponsePart'; data: { text: string } };
type AbandonedEvent = { type: 'IdempotentRequestAbandoned'; data: { reason: string } };

/**
 * Largest stored response part, as UTF-8 JSON: EventStoreDB refuses appends over 1 MB by default,
 * and a part is appended with its event's envelope, so a part keeps well under that.
 */
export const MAX_RESPONSE_PART_BYTES = 256 * 1024;

/** A response text in pieces whose JSON form stays within maxBytes, a surrogate pair never split. */
export function* boundedParts(text: string, maxBytes = MAX_RESPONSE_PART_BYTES): Generator<string> {
  let start = 0;
  while (start < text.length) {
    // every UTF-16 unit takes at least one byte, so maxBytes units is the most a piece can hold
    let length = Math.min(text.length - start, maxBytes);
    for (;;) {
      if (length > 1 && start + length < text.length && isHighSurrogate(text.charCodeAt(start + length - 1))) length -= 1;
      const size = Buffer.byteLength(JSON.stringify(text.slice(start, start + length)));
      if (size <= maxBytes) break;
      // escapes (\", \u0000) and multi-byte characters make a piece larger than its length: shrink in proportion
      length = Math.max(1, Math.floor((length * maxBytes) / size) - 8);
    }
    yield text.slice(start, start + length);
    start += length;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** A repeat waited for the first request with its key, which has neither answered nor outlived its lease. */
export class IdempotentRequestInFlightError extends Error {
  override name = 'IdempotentRequestInFlightError';
  constructor(readonly key: string) {
    super(`the request with idempotency key "${key}" is still in flight; retry later`);
  }
}

export function requestHash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export interface IdempotencyOptions {
  /** a claim this old without an answer belongs to a crashed request and may be taken over */
  leaseMs?: number;
  /** how long a repeat waits for the first request, still in flight elsewhere, to answer */
  waitMs?: number;
}

/**
 * Idempotency keys kept as tiny streams in the event store itself, so they survive restarts in
 * both profiles and the claim is atomic (append with no_stream). The request's own events get ids
 * derived from the key, so a request taken over after a crash cannot store its events twice.
 */
export class IdempotencyGuard {
  private readonly inFlight = new Map<string, Promise<IdempotentOutcome>>();
  private readonly leaseMs: number;
  private readonly waitMs: number;

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    options: IdempotencyOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.waitMs = options.waitMs ?? 60_000;
  }

  static streamFor(tenant: string, key: string): string {
    return `idempotency-${tenant}:${createHash('sha256').update(key).digest('hex')}`;
  }

  /**
   * Runs `execute` once per (tenant, key). Repeats with the same hash get the first outcome;
   * a different hash is refused. `execute` receives the scope to derive event ids from.
   */
  async run(
    tenant: string,
    key: string,
    hash: string,
    execute: (scope: string, takeover: boolean) => Promise<IdempotentOutcome>,
  ): Promise<{ outcome: IdempotentOutcome; replayed: boolean }> {
    const streamId = IdempotencyGuard.streamFor(tenant, key);
    const deadline = this.clock.now().getTime() + this.waitMs;
    for (let attempt = 0; ; attempt++) {
      const history = await this.store.readStream(streamId);
      const claim = history.find((e) => e.type === 'IdempotencyKeyClaimed') as (StoredEvent & ClaimEvent) | undefined;
      if (claim && claim.data.requestHash !== hash) throw new IdempotencyKeyReusedError(key);
      const last = history[history.length - 1] as (StoredEvent & (ClaimEvent | CompletedEvent | AbandonedEvent | PartEvent)) | undefined;
      if (last?.type === 'IdempotentRequestCompleted') return { outcome: replayOf(history, last.data.outcome), replayed: true };

      const running = this.inFlight.get(streamId);
      if (running) {
        await running.catch(() => undefined);
        continue;
      }
      const free = !last || last.type === 'IdempotentRequestAbandoned';
      // the lease runs from the last sign of life: the claim, or the last part of an answer being written
      const unfinished = last?.type === 'IdempotencyKeyClaimed' || last?.type === 'IdempotentResponsePart';
      const expired = unfinished && this.clock.now().getTime() - last.recordedAt.getTime() > this.leaseMs;
      if (free || expired) {
        const claimed = await this.claim(streamId, hash, last?.revision);
        if (claimed !== undefined) return { outcome: await this.execute(streamId, claimed, Boolean(last), execute), replayed: false };
        continue;
      }
      if (this.clock.now().getTime() >= deadline) throw new IdempotentRequestInFlightError(key);
      // claimed by another process that has not answered yet
      await new Promise((r) => setTimeout(r, Math.min(500, 20 * 2 ** attempt)));
    }
  }

  private async claim(streamId: string, hash: string, revision: number | undefined): Promise<number | undefined> {
    const claimEvent: ClaimEvent = { type: 'IdempotencyKeyClaimed', data: { requestHash: hash, claimedAt: this.clock.now().toISOString() } };
    try {
      const result = await this.store.appendToStream(
        streamId,
        [{ id: randomUUID(), type: claimEvent.type, data: claimEvent.data, metadata: {} }],
        { expectedRevision: revision === undefined ? 'no_stream' : revision },
      );
      return result.nextExpectedRevision;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return undefined;
      throw error;
    }
  }

  private execute(
    streamId: string,
    claimRevision: number,
    takeover: boolean,
    execute: (scope: string, takeover: boolean) => Promise<IdempotentOutcome>,
  ): Promise<IdempotentOutcome> {
    const work = (async () => {
      let outcome: IdempotentOutcome;
      try {
        outcome = await execute(streamId, takeover);
      } catch (error) {
        // an unexpected failure is not an answer: free the key so a retry can run the request
        await this.store.appendToStream(
          streamId,
          [{ id: randomUUID(), type: 'IdempotentRequestAbandoned', data: { reason: (error as Error).message }, metadata: {} }],
          { expectedRevision: claimRevision },
        );
        throw error;
      }
      let revision = claimRevision;
      let stored: CompletedEvent['data']['outcome'] = outcome;
      if (outcome.parts) {
        // one event per part, after the claim; the completion says how many belong to the answer
        let count = 0;
        for await (const chunk of outcome.parts) {
          for (const text of boundedParts(chunk)) {
            const part: PartEvent = { type: 'IdempotentResponsePart', data: { text } };
            revision = (await this.store.appendToStream(streamId, [{ id: randomUUID(), ...part, metadata: {} }], { expectedRevision: revision })).nextExpectedRevision;
            count++;
          }
        }
        stored = { status: outcome.status, body: null, ...(outcome.contentType ? { contentType: outcome.contentType } : {}), streamedParts: count };
      }
      await this.store.appendToStream(
        streamId,
        [{ id: randomUUID(), type: 'IdempotentRequestCompleted', data: { outcome: stored }, metadata: {} }],
        { expectedRevision: revision },
      );
      return outcome;
    })();
    this.inFlight.set(streamId, work);
    return work.finally(() => this.inFlight.delete(streamId));
  }
}

/** A completed outcome as stored; a streamed one gets the parts written since the last claim back. */
function replayOf(history: readonly StoredEvent[], stored: CompletedEvent['data']['outcome']): IdempotentOutcome {
  if (stored.streamedParts === undefined) return stored;
  let lastClaim = -1;
  history.forEach((event, i) => {
    if (event.type === 'IdempotencyKeyClaimed') lastClaim = i;
  });
  const parts = history
    .slice(lastClaim + 1)
    .filter((event) => event.type === 'IdempotentResponsePart')
    .map((event) => (event.data as PartEvent['data']).text);
  if (parts.length !== stored.streamedParts) throw new Error(`idempotent answer has ${parts.length} of ${stored.streamedParts} parts`);
  return { status: stored.status, body: null, parts, ...(stored.contentType ? { contentType: stored.contentType } : {}) };
}
