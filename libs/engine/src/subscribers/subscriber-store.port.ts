/**
 * Where subscribers keep their durable state: consumer checkpoints, webhook endpoints and their
 * secrets, each endpoint's outbox (what is matched but not yet delivered: the per-account progress)
 * and its delivery log. Adapters: SQLite (the embedded file) and MongoDB (single-document atomic
 * updates only, as FerretDB allows), proven by test/contract/subscriber-store.contract.int.spec.ts.
 */

/** A generic consumer's checkpoint: the last global position it handled (START = -1 before any). */
export interface ConsumerCheckpoints {
  readCheckpoint(name: string): Promise<number>;
  /** moves the checkpoint from `expected` to `next`; false (nothing changed) when it was not at `expected` */
  storeCheckpoint(name: string, expected: number, next: number): Promise<boolean>;
}

export type EndpointState = 'active' | 'paused' | 'disabled';

export interface EndpointSecret {
  /** `whsec_` + base64 of the key bytes (Standard Webhooks) */
  secret: string;
  createdAt: string;
  /** a rotated-out secret signs until then */
  expiresAt?: string;
}

export interface WebhookEndpointRecord {
  id: string;
  tenant: string;
  url: string;
  /** public event types; empty = every type */
  eventTypes: string[];
  /** store codes; empty = every store of the tenant */
  stores: string[];
  description?: string;
  /** newest first; the first is the current one */
  secrets: EndpointSecret[];
  state: EndpointState;
  /** the first failure since the last success; a whole day of it pauses the endpoint */
  failingSince?: string;
  /** why and when it stopped, when paused or disabled */
  stoppedAt?: string;
  stoppedReason?: string;
  /** the last global position matched into the outbox (the endpoint's checkpoint) */
  checkpoint: number;
  createdAt: string;
  updatedAt: string;
}

export type EndpointChange = Partial<Pick<WebhookEndpointRecord, 'url' | 'eventTypes' | 'stores' | 'description' | 'secrets' | 'state' | 'stoppedAt' | 'stoppedReason'>> & {
  failingSince?: string | null;
};

/** One event waiting to reach one endpoint. Its body is fixed when matched, so every retry sends the same bytes. */
export interface OutboxDelivery {
  endpointId: string;
  position: number;
  /** ordering key: one account's (stream's) deliveries go one at a time, oldest first */
  streamId: string;
  /** the Standard Webhooks message id: the same on every retry */
  webhookId: string;
  eventType: string;
  body: string;
  attempts: number;
  /** epoch ms, from the engine clock */
  nextAttemptAt: number;
  /** epoch ms of the first attempt (retries give up 3 days after it) */
  firstAttemptAt?: number;
}

export type DeliveryOutcome = 'delivered' | 'retrying' | 'gave_up' | 'disabled' | 'paused' | 'test';

export interface DeliveryAttempt {
  endpointId: string;
  webhookId: string;
  eventType: string;
  position?: number;
  attempt: number;
  /** HTTP status, absent when no response came (refused, timed out) */
  status?: number;
  outcome: DeliveryOutcome;
  latencyMs: number;
  responseExcerpt?: string;
  error?: string;
  attemptedAt: string;
}

/** What became of one attempt: the delivery leaves the outbox (`next` absent) or waits for its next try. */
export interface SettledAttempt {
  endpointId: string;
  position: number;
  next?: { attempts: number; nextAttemptAt: number; firstAttemptAt: number };
  attempt: DeliveryAttempt;
}

/** An endpoint's matched deliveries and the checkpoint move that goes with them (see `enqueue`). */
export interface EnqueueRequest {
  endpointId: string;
  deliveries: OutboxDelivery[];
  expected: number;
  next: number;
}

export interface SubscriberStore extends ConsumerCheckpoints {
  readonly kind: 'sqlite' | 'mongodb';
  /** creates tables/collections and indexes if missing */
  prepare(): Promise<void>;

  createEndpoint(endpoint: WebhookEndpointRecord): Promise<void>;
  endpoint(tenant: string, id: string): Promise<WebhookEndpointRecord | undefined>;
  endpoints(tenant: string): Promise<WebhookEndpointRecord[]>;
  /** every tenant's: what the dispatcher serves */
  allEndpoints(): Promise<WebhookEndpointRecord[]>;
  /** undefined when there is no such endpoint in the tenant */
  updateEndpoint(tenant: string, id: string, change: EndpointChange, at: string): Promise<WebhookEndpointRecord | undefined>;
  /** removes the endpoint, its outbox and its log; false when there was none */
  deleteEndpoint(tenant: string, id: string): Promise<boolean>;
  /** sets the checkpoint whatever it was (replay) */
  rewindEndpoint(tenant: string, id: string, position: number, at: string): Promise<boolean>;

  /**
   * Adds matched deliveries and moves the endpoint's checkpoint from `expected` to `next`.
   * False when the checkpoint was not at `expected` (a replay moved it): the caller re-reads.
   * Deliveries already in the outbox stay as they are.
   */
  enqueue(endpointId: string, deliveries: OutboxDelivery[], expected: number, next: number): Promise<boolean>;
  /** the oldest waiting deliveries at or before the checkpoint `upTo`, in position order */
  outstanding(endpointId: string, upTo: number, limit: number): Promise<OutboxDelivery[]>;
  countOutstanding(endpointId: string): Promise<number>;
  reschedule(endpointId: string, position: number, attempts: number, nextAttemptAt: number, firstAttemptAt: number): Promise<void>;
  /** every waiting delivery of the endpoint is due at `at` (resume) */
  rescheduleAll(endpointId: string, at: number): Promise<void>;
  /** delivered or given up: leaves the outbox */
  complete(endpointId: string, position: number): Promise<void>;

  /**
   * Several endpoints' enqueues and several attempts' outcomes in one write (SQLite: one transaction,
   * one fsync); one answer per enqueue, as `enqueue` gives.
   */
  writeBatch(enqueues: EnqueueRequest[], outcomes: SettledAttempt[]): Promise<boolean[]>;
  /** several attempts' outcomes and log entries at once (SQLite: one transaction, one fsync) */
  settle(outcomes: SettledAttempt[]): Promise<void>;
  logAttempt(attempt: DeliveryAttempt): Promise<void>;
  /** newest first */
  deliveries(endpointId: string, limit: number): Promise<DeliveryAttempt[]>;
}
