import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Clock } from '@app/ledger';
import { DAY_MS } from '@app/ledger';
import { CLOCK } from '../tokens';
import { parseCursor, parseEventTypes, PublicEventFeed, SubscriberInputError } from './public-event-feed';
import { encodeCursor, PUBLIC_SCHEMA_VERSION } from './public-events';
import type { DeliveryAttempt, SubscriberStore, WebhookEndpointRecord } from './subscriber-store.port';
import { postWebhook, SUBSCRIBER_STORE, WebhookDispatcher } from './webhook-dispatcher';
import { newWebhookSecret } from './webhook-signature';

/** A rotated-out secret keeps signing this long, so receivers can switch without a gap. */
export const SECRET_OVERLAP_MS = DAY_MS;

export interface EndpointInput {
  url?: string;
  eventTypes?: string[];
  stores?: string[];
  description?: string;
}

/** What the API shows of an endpoint: never its secrets. */
export interface EndpointView {
  id: string;
  url: string;
  eventTypes: string[];
  stores: string[];
  description?: string;
  state: WebhookEndpointRecord['state'];
  failingSince?: string;
  stoppedAt?: string;
  stoppedReason?: string;
  /** the cursor up to which events were matched for it */
  cursor: string;
  createdAt: string;
  updatedAt: string;
}

export class WebhookEndpointNotFoundError extends Error {
  override name = 'WebhookEndpointNotFoundError';
  constructor(readonly endpointId: string) {
    super(`no webhook endpoint ${endpointId}`);
  }
}

function view(endpoint: WebhookEndpointRecord): EndpointView {
  return {
    id: endpoint.id,
    url: endpoint.url,
    eventTypes: endpoint.eventTypes,
    stores: endpoint.stores,
    ...(endpoint.description !== undefined && { description: endpoint.description }),
    state: endpoint.state,
    ...(endpoint.failingSince && { failingSince: endpoint.failingSince }),
    ...(endpoint.stoppedAt && { stoppedAt: endpoint.stoppedAt }),
    ...(endpoint.stoppedReason && { stoppedReason: endpoint.stoppedReason }),
    cursor: encodeCursor(endpoint.checkpoint),
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  };
}

export function checkWebhookUrl(url: string, field = 'url'): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SubscriberInputError(field, `${field} must be an absolute http(s) URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new SubscriberInputError(field, `${field} must use http or https`);
  if (parsed.username || parsed.password) throw new SubscriberInputError(field, `${field} must not carry credentials`);
}

/** Webhook endpoints of a tenant: create (the secret is shown once), change, rotate, pause/resume, replay, test. */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(SUBSCRIBER_STORE) private readonly store: SubscriberStore,
    private readonly feed: PublicEventFeed,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** New endpoints start at the newest event: they get what happens from now on (replay reaches back). */
  async create(tenant: string, input: EndpointInput & { url: string }): Promise<EndpointView & { secret: string }> {
    checkWebhookUrl(input.url);
    const eventTypes = parseEventTypes(input.eventTypes ?? [], 'eventTypes') ?? [];
    const now = this.clock.now().toISOString();
    const secret = newWebhookSecret();
    const endpoint: WebhookEndpointRecord = {
      id: `ep_${randomUUID().replace(/-/g, '')}`,
      tenant,
      url: input.url,
      eventTypes,
      stores: [...new Set(input.stores ?? [])],
      ...(input.description !== undefined && { description: input.description }),
      secrets: [{ secret, createdAt: now }],
      state: 'active',
      checkpoint: await this.feed.headPosition(),
      createdAt: now,
      updatedAt: now,
    };
    await this.store.createEndpoint(endpoint);
    this.dispatcher.wake();
    return { ...view(endpoint), secret };
  }

  async list(tenant: string): Promise<EndpointView[]> {
    return (await this.store.endpoints(tenant)).map(view);
  }

  async get(tenant: string, id: string): Promise<EndpointView> {
    return view(await this.record(tenant, id));
  }

  async update(tenant: string, id: string, input: EndpointInput): Promise<EndpointView> {
    if (input.url !== undefined) checkWebhookUrl(input.url);
    const eventTypes = input.eventTypes === undefined ? undefined : (parseEventTypes(input.eventTypes, 'eventTypes') ?? []);
    const updated = await this.store.updateEndpoint(
      tenant,
      id,
      { url: input.url, eventTypes, stores: input.stores && [...new Set(input.stores)], description: input.description },
      this.clock.now().toISOString(),
    );
    if (!updated) throw new WebhookEndpointNotFoundError(id);
    this.dispatcher.wake();
    return view(updated);
  }

  async remove(tenant: string, id: string): Promise<void> {
    if (!(await this.store.deleteEndpoint(tenant, id))) throw new WebhookEndpointNotFoundError(id);
    this.dispatcher.wake();
  }

  /** A new secret signs from now on; the previous one keeps signing (both signatures sent) for 24 hours. */
  async rotateSecret(tenant: string, id: string): Promise<{ secret: string; previousSecretExpiresAt: string }> {
    const endpoint = await this.record(tenant, id);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + SECRET_OVERLAP_MS).toISOString();
    const secret = newWebhookSecret();
    const kept = endpoint.secrets
      .filter((old) => !old.expiresAt || Date.parse(old.expiresAt) > now.getTime())
      .map((old) => ({ ...old, expiresAt: old.expiresAt ?? expiresAt }));
    await this.store.updateEndpoint(tenant, id, { secrets: [{ secret, createdAt: now.toISOString() }, ...kept] }, now.toISOString());
    this.dispatcher.wake();
    return { secret, previousSecretExpiresAt: expiresAt };
  }

  /** A paused or disabled endpoint carries on from where it stopped: every waiting delivery is due now. */
  async resume(tenant: string, id: string): Promise<EndpointView> {
    await this.record(tenant, id);
    const now = this.clock.now();
    await this.store.rescheduleAll(id, now.getTime());
    const updated = await this.store.updateEndpoint(tenant, id, { state: 'active', failingSince: null }, now.toISOString());
    if (!updated) throw new WebhookEndpointNotFoundError(id);
    this.dispatcher.wake();
    return view(updated);
  }

  /** Sends every matching event after `after` (a cursor) or recorded since `since` (an instant) again. */
  async replay(tenant: string, id: string, from: { after?: string; since?: string }): Promise<EndpointView> {
    await this.record(tenant, id);
    if ((from.after === undefined) === (from.since === undefined)) {
      throw new SubscriberInputError('after', 'give exactly one of after (a cursor) or since (an ISO-8601 instant)');
    }
    let position: number;
    if (from.after !== undefined) {
      position = parseCursor(from.after, 'after');
    } else {
      const since = new Date(from.since as string);
      if (Number.isNaN(since.getTime())) throw new SubscriberInputError('since', 'since must be an ISO-8601 instant');
      position = await this.feed.positionBefore(since);
    }
    const now = this.clock.now().toISOString();
    await this.store.rewindEndpoint(tenant, id, position, now);
    this.dispatcher.wake();
    return this.get(tenant, id);
  }

  /** Posts a signed `webhook.test` event at once and says what the receiver answered. */
  async sendTest(tenant: string, id: string): Promise<DeliveryAttempt> {
    const endpoint = await this.record(tenant, id);
    const now = this.clock.now();
    const eventId = randomUUID();
    const body = JSON.stringify({ id: eventId, type: 'webhook.test', schemaVersion: PUBLIC_SCHEMA_VERSION, occurredAt: now.toISOString(), tenant, data: { endpointId: id } });
    const webhookId = `msg_${eventId}`;
    const result = await postWebhook(endpoint, webhookId, body, now, this.dispatcher.options.timeoutMs);
    const attempt: DeliveryAttempt = {
      endpointId: id,
      webhookId,
      eventType: 'webhook.test',
      attempt: 1,
      ...(result.status !== undefined && { status: result.status }),
      outcome: 'test',
      latencyMs: result.latencyMs,
      ...(result.responseExcerpt !== undefined && { responseExcerpt: result.responseExcerpt }),
      ...(result.error !== undefined && { error: result.error }),
      attemptedAt: now.toISOString(),
    };
    await this.store.logAttempt(attempt);
    return attempt;
  }

  async deliveries(tenant: string, id: string, limit: number): Promise<DeliveryAttempt[]> {
    await this.record(tenant, id);
    return this.store.deliveries(id, limit);
  }

  private async record(tenant: string, id: string): Promise<WebhookEndpointRecord> {
    const endpoint = await this.store.endpoint(tenant, id);
    if (!endpoint) throw new WebhookEndpointNotFoundError(id);
    return endpoint;
  }
}
