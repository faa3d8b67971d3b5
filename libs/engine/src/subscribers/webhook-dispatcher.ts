import { Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { EventStore } from '@app/event-store';
import type { Clock } from '@app/ledger';
import { DAY_MS } from '@app/ledger';
import { deterministicUuid } from '../ids';
import { CLOCK, EVENT_STORE } from '../tokens';
import { PublicEventFeed } from './public-event-feed';
import { decodeCursor, PublicEvent, WEBHOOK_ENDPOINT_CATEGORY } from './public-events';
import type { DeliveryAttempt, EnqueueRequest, OutboxDelivery, SettledAttempt, SubscriberStore, WebhookEndpointRecord } from './subscriber-store.port';
import { signWebhook } from './webhook-signature';

export const SUBSCRIBER_STORE = Symbol('SubscriberStore');

/** Matched but undelivered events one endpoint may hold; beyond it matching waits, so a dead endpoint costs bounded storage until paused. */
const MAX_OUTSTANDING = 1_000;
/** accounts delivered to one endpoint at the same time (one request per account at a time) */
const MAX_IN_FLIGHT = 32;
/** an endpoint failing this long without one success is paused */
export const PAUSE_AFTER_MS = DAY_MS;
/** one delivery is retried this long, then given up (logged; replay sends it again) */
export const GIVE_UP_AFTER_MS = 3 * DAY_MS;
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 60 * 60 * 1000;
const EXCERPT_CHARS = 500;

/** Jittered exponential backoff: 5 s, 10 s, 20 s ... capped at an hour, each drawn from its upper half. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1), MAX_RETRY_MS);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Deliveries of one account go one at a time; other accounts and customers have keys of their own. */
export function orderingKey(event: PublicEvent): string {
  if (event.type.startsWith('customer.')) return `customer:${event.customerId}`;
  if (event.type.startsWith('endpoint.')) return `endpoint:${String(event.data.endpointId)}`;
  return `account:${event.storeCode}:${event.customerId}`;
}

export interface DispatchOptions {
  /** how often due retries are looked for when nothing else wakes the dispatcher */
  tickMs: number;
  /** a receiver that has not answered by then counts as failed */
  timeoutMs: number;
}

export interface SendResult {
  status?: number;
  latencyMs: number;
  responseExcerpt?: string;
  error?: string;
  retryAfter: string | null;
}

/** Posts one signed body; never throws. */
export async function postWebhook(endpoint: WebhookEndpointRecord, webhookId: string, body: string, now: Date, timeoutMs: number): Promise<SendResult> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const signatures = endpoint.secrets
    .filter((secret) => !secret.expiresAt || Date.parse(secret.expiresAt) > now.getTime())
    .map((secret) => signWebhook(secret.secret, webhookId, timestamp, body))
    .join(' ');
  const started = performance.now();
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'loyalty-engine-webhooks/1',
        'webhook-id': webhookId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatures,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const excerpt = await readExcerpt(response);
    return { status: response.status, latencyMs: Math.round(performance.now() - started), responseExcerpt: excerpt, retryAfter: response.headers.get('retry-after') };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { latencyMs: Math.round(performance.now() - started), error: cause ?? (error as Error).message, retryAfter: null };
  }
}

/** The first characters of a response, reading no more than that of a large body. */
async function readExcerpt(response: Response): Promise<string | undefined> {
  if (!response.body) return undefined;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.slice(0, EXCERPT_CHARS) || undefined;
}

/**
 * One endpoint's worker: matches new public events into its outbox (moving its checkpoint) and
 * delivers the oldest waiting event of each account, one request per account at a time. It only
 * awaits its own endpoint, so a slow or dead receiver holds back nobody else. It keeps its waiting
 * deliveries in memory (at most MAX_OUTSTANDING), mirrored by the store, and reloads them when a
 * replay or resume changed the stored endpoint.
 */
class EndpointLane {
  private readonly inFlight = new Set<string>();
  private queue?: OutboxDelivery[];
  private pumping = false;
  private again = false;

  constructor(
    public endpoint: WebhookEndpointRecord,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  get busy(): boolean {
    return this.pumping || this.inFlight.size > 0;
  }

  /** the stored endpoint changed under the lane (replay, resume, edit): take it and reload what waits */
  adopt(endpoint: WebhookEndpointRecord): void {
    this.endpoint = { ...endpoint };
    this.queue = undefined;
  }

  wake(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async pump(): Promise<void> {
    try {
      if (this.endpoint.state !== 'active' || this.dispatcher.stopped) return;
      this.queue ??= await this.dispatcher.store.outstanding(this.endpoint.id, this.endpoint.checkpoint, MAX_OUTSTANDING);
      if (this.endpoint.checkpoint < this.dispatcher.head) await this.match(this.queue);
      this.deliverDue(this.queue);
    } catch (error) {
      this.queue = undefined;
      this.dispatcher.logger.error(`webhook endpoint ${this.endpoint.id}: ${(error as Error).message}`);
    }
  }

  private async match(queue: OutboxDelivery[]): Promise<void> {
    const { store, feed, clock } = this.dispatcher;
    const endpoint = this.endpoint;
    if (queue.length >= MAX_OUTSTANDING) return;
    const page = await feed.page(
      endpoint.checkpoint,
      { tenant: endpoint.tenant, types: endpoint.eventTypes as PublicEvent['type'][], stores: endpoint.stores },
      MAX_OUTSTANDING - queue.length,
    );
    const next = decodeCursor(page.cursor) as number;
    if (next === endpoint.checkpoint) return;
    const now = clock.now().getTime();
    const deliveries: OutboxDelivery[] = page.events.map((event) => ({
      endpointId: endpoint.id,
      position: event.position,
      streamId: orderingKey(event),
      webhookId: `msg_${event.id}`,
      eventType: event.type,
      body: JSON.stringify(event),
      attempts: 0,
      nextAttemptAt: now,
    }));
    if (await this.dispatcher.enqueue({ endpointId: endpoint.id, deliveries, expected: endpoint.checkpoint, next })) {
      if (this.queue !== queue) return;
      const waiting = new Set(queue.map((d) => d.position));
      // a rewind matches again what may still wait: the stored one (with its attempts) stays
      for (const delivery of deliveries) if (!waiting.has(delivery.position)) queue.push(delivery);
      endpoint.checkpoint = next;
      if (page.more) this.again = true;
    } else {
      // a replay moved the checkpoint: read where it now stands and match from there
      const fresh = await store.endpoint(endpoint.tenant, endpoint.id);
      if (fresh) this.adopt(fresh);
      this.again = true;
    }
  }

  private deliverDue(queue: OutboxDelivery[]): void {
    const now = this.dispatcher.clock.now().getTime();
    const seen = new Set<string>();
    for (const row of queue) {
      if (this.inFlight.size >= MAX_IN_FLIGHT) break;
      // only an account's oldest waiting event may go: a later one waits until it was delivered
      if (seen.has(row.streamId)) continue;
      seen.add(row.streamId);
      if (this.inFlight.has(row.streamId) || row.nextAttemptAt > now) continue;
      this.inFlight.add(row.streamId);
      void this.send(row, queue).finally(() => {
        this.inFlight.delete(row.streamId);
        this.wake();
      });
    }
  }

  private async send(row: OutboxDelivery, queue: OutboxDelivery[]): Promise<void> {
    const { store, clock, options } = this.dispatcher;
    const endpoint = this.endpoint;
    const at = clock.now();
    const result = await postWebhook(endpoint, row.webhookId, row.body, at, options.timeoutMs);
    const now = clock.now();
    const attempt: DeliveryAttempt = {
      endpointId: endpoint.id,
      webhookId: row.webhookId,
      eventType: row.eventType,
      position: row.position,
      attempt: row.attempts + 1,
      ...(result.status !== undefined && { status: result.status }),
      outcome: 'delivered',
      latencyMs: result.latencyMs,
      ...(result.responseExcerpt !== undefined && { responseExcerpt: result.responseExcerpt }),
      ...(result.error !== undefined && { error: result.error }),
      attemptedAt: at.toISOString(),
    };
    const leave = () => {
      const index = queue.indexOf(row);
      if (index >= 0) queue.splice(index, 1);
    };
    const retry = (attempts: number, nextAttemptAt: number, firstAttemptAt: number) => {
      row.attempts = attempts;
      row.nextAttemptAt = nextAttemptAt;
      row.firstAttemptAt = firstAttemptAt;
      return { attempts, nextAttemptAt, firstAttemptAt };
    };
    try {
      if (result.status !== undefined && result.status >= 200 && result.status < 300) {
        // the account's next event goes only once this one is stored as delivered, so a crash never reorders
        await this.dispatcher.settle({ endpointId: endpoint.id, position: row.position, attempt });
        leave();
        if (this.endpoint.failingSince) {
          const updated = await store.updateEndpoint(endpoint.tenant, endpoint.id, { failingSince: null }, now.toISOString());
          if (updated) this.endpoint = { ...updated, checkpoint: this.endpoint.checkpoint };
        }
        return;
      }
      if (result.status === 410) {
        await store.logAttempt({ ...attempt, outcome: 'disabled' });
        await this.stop('disabled', 'the endpoint answered 410 Gone', now);
        return;
      }
      const firstAttemptAt = row.firstAttemptAt ?? at.getTime();
      const failingSince = this.endpoint.failingSince ?? at.toISOString();
      if (!this.endpoint.failingSince) {
        const updated = await store.updateEndpoint(endpoint.tenant, endpoint.id, { failingSince }, now.toISOString());
        if (updated) this.endpoint = { ...updated, checkpoint: this.endpoint.checkpoint };
      }
      if (now.getTime() - Date.parse(failingSince) >= PAUSE_AFTER_MS) {
        await this.dispatcher.settle({ endpointId: endpoint.id, position: row.position, next: retry(row.attempts + 1, now.getTime(), firstAttemptAt), attempt: { ...attempt, outcome: 'paused' } });
        await this.stop('paused', `no delivery succeeded since ${failingSince}`, now);
        return;
      }
      if (now.getTime() - firstAttemptAt >= GIVE_UP_AFTER_MS) {
        await this.dispatcher.settle({ endpointId: endpoint.id, position: row.position, attempt: { ...attempt, outcome: 'gave_up' } });
        leave();
        return;
      }
      const asked = result.status === 429 || result.status === 503 ? retryAfterMs(result.retryAfter, now.getTime()) : undefined;
      const delay = asked !== undefined ? Math.min(asked, PAUSE_AFTER_MS) : retryDelayMs(row.attempts + 1);
      await this.dispatcher.settle({ endpointId: endpoint.id, position: row.position, next: retry(row.attempts + 1, now.getTime() + delay, firstAttemptAt), attempt: { ...attempt, outcome: 'retrying' } });
    } catch (error) {
      // the outcome was not stored: the delivery stays waiting and goes again (at least once)
      this.queue = undefined;
      this.dispatcher.logger.error(`webhook ${row.webhookId} to ${endpoint.id}: ${(error as Error).message}`);
    }
  }

  /** Pauses or disables the endpoint once, and says so with a public event other subscribers see. */
  private async stop(state: 'paused' | 'disabled', reason: string, now: Date): Promise<void> {
    const { store } = this.dispatcher;
    const endpoint = this.endpoint;
    if (endpoint.state !== 'active') return;
    this.endpoint = { ...endpoint, state, updatedAt: now.toISOString() };
    // announced first: a crash in between pauses again after the restart, and the event's id is the same
    await this.dispatcher.announce(endpoint, state, reason, now);
    const updated = await store.updateEndpoint(endpoint.tenant, endpoint.id, { state, stoppedAt: now.toISOString(), stoppedReason: reason }, now.toISOString());
    if (updated) this.endpoint = { ...updated, checkpoint: this.endpoint.checkpoint };
  }
}

/**
 * Delivers public events to webhook endpoints (Standard Webhooks), one lane per endpoint. Its timing
 * (due retries, backoff, pausing) follows the engine clock; a real timer only decides how often it looks.
 */
@Injectable()
export class WebhookDispatcher {
  readonly logger = new Logger(WebhookDispatcher.name);
  private readonly lanes = new Map<string, EndpointLane>();
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private refreshing = false;
  private refreshAgain = false;
  private pendingOutcomes: Array<{ outcome: SettledAttempt; done: (error?: unknown) => void }> = [];
  private pendingEnqueues: Array<{ request: EnqueueRequest; done: (error?: unknown, moved?: boolean) => void }> = [];
  private flushing = false;
  /** the newest global position known to be stored: lanes behind it have matching to do */
  head = Number.MAX_SAFE_INTEGER;
  stopped = true;
  options: DispatchOptions = { tickMs: 200, timeoutMs: 10_000 };

  constructor(
    @Inject(SUBSCRIBER_STORE) readonly store: SubscriberStore,
    readonly feed: PublicEventFeed,
    @Inject(CLOCK) readonly clock: Clock,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  start(options: Partial<DispatchOptions> = {}): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.options = { ...this.options, ...options };
    this.unsubscribe = this.feed.onAppended((position) => {
      this.head = Math.max(this.head, position);
      for (const lane of this.lanes.values()) lane.wake();
    });
    void this.feed.headPosition().then(
      (head) => (this.head = head),
      () => undefined,
    );
    this.timer = setInterval(() => this.wake(), this.options.tickMs);
    this.wake();
  }

  /** Stores an attempt's outcome with every other write of the moment (one transaction); resolves once stored. */
  settle(outcome: SettledAttempt): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendingOutcomes.push({ outcome, done: (error) => (error ? reject(error) : resolve()) });
      this.scheduleFlush();
    });
  }

  /** Matches an endpoint's deliveries with every other write of the moment; resolves to `enqueue`'s answer. */
  enqueue(request: EnqueueRequest): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pendingEnqueues.push({ request, done: (error, moved) => (error ? reject(error) : resolve(moved as boolean)) });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    while (this.pendingOutcomes.length || this.pendingEnqueues.length) {
      const outcomes = this.pendingOutcomes;
      const enqueues = this.pendingEnqueues;
      this.pendingOutcomes = [];
      this.pendingEnqueues = [];
      try {
        const moved = await this.store.writeBatch(
          enqueues.map((entry) => entry.request),
          outcomes.map((entry) => entry.outcome),
        );
        enqueues.forEach((entry, i) => entry.done(undefined, moved[i]));
        for (const entry of outcomes) entry.done();
      } catch (error) {
        for (const entry of [...enqueues, ...outcomes]) entry.done(error);
      }
    }
    this.flushing = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    // in-flight requests finish or time out; their outcome is stored or they go again after a restart
    const deadline = Date.now() + this.options.timeoutMs;
    while ([...this.lanes.values()].some((lane) => lane.busy) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /** Looks at every endpoint now (after an endpoint changed, a resume, a replay, or new events). */
  wake(): void {
    if (this.stopped) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    void this.refresh()
      .catch((error) => this.logger.error(`webhook dispatcher: ${(error as Error).message}`))
      .finally(() => {
        this.refreshing = false;
        if (this.refreshAgain) {
          this.refreshAgain = false;
          this.wake();
        }
      });
  }

  private async refresh(): Promise<void> {
    const endpoints = await this.store.allEndpoints();
    const ids = new Set(endpoints.map((endpoint) => endpoint.id));
    for (const id of this.lanes.keys()) if (!ids.has(id)) this.lanes.delete(id);
    for (const endpoint of endpoints) {
      let lane = this.lanes.get(endpoint.id);
      if (!lane) {
        lane = new EndpointLane(endpoint, this);
        this.lanes.set(endpoint.id, lane);
      } else if (
        endpoint.checkpoint < lane.endpoint.checkpoint ||
        endpoint.updatedAt > lane.endpoint.updatedAt ||
        (!lane.busy && JSON.stringify(endpoint) !== JSON.stringify(lane.endpoint))
      ) {
        // a replay, resume or edit: the stored record wins; the lane's CAS catches a stale checkpoint
        lane.adopt(endpoint);
      }
      lane.wake();
    }
  }

  /** Appends `endpoint.paused` / `endpoint.disabled` to the endpoint's own stream, once per stop. */
  async announce(endpoint: WebhookEndpointRecord, state: 'paused' | 'disabled', reason: string, now: Date): Promise<void> {
    const streamId = `${WEBHOOK_ENDPOINT_CATEGORY}-${endpoint.tenant}:${endpoint.id}`;
    const type = state === 'paused' ? 'WebhookEndpointPaused' : 'WebhookEndpointDisabled';
    const data =
      state === 'paused'
        ? { endpointId: endpoint.id, url: endpoint.url, failingSince: endpoint.failingSince ?? now.toISOString(), pausedAt: now.toISOString() }
        : { endpointId: endpoint.id, url: endpoint.url, disabledAt: now.toISOString(), reason };
    const id = deterministicUuid(streamId, state === 'paused' ? `${type}:${endpoint.failingSince ?? ''}` : `${type}:${endpoint.updatedAt}`);
    await this.events.appendToStream(streamId, [
      {
        id,
        type,
        data,
        metadata: { tenant: endpoint.tenant, storeCode: '', correlationId: id, causationId: id, issuer: 'system', actor: 'webhook-dispatcher', schemaVersion: 1 },
      },
    ]);
  }
}
