import type { Hundredths } from './points';

/**
 * The stored event catalogue. Type names are explicit strings (never class names) and
 * every amount is integer hundredths of a point. Timestamps are ISO-8601 strings taken
 * from the clock by `decide`, never produced by `evolve` or a projection.
 *
 * `createdAt` is when the ledger recorded a change, and the stream's order is the append order.
 * `occurredAt` (PointsAdded, PointsSpent; optional) is the business time a client reported, e.g. an
 * order placed yesterday: never after `createdAt`, shown to clients, and used for nothing else
 * (spending order, expiry and activation all run on the recorded time).
 */
export const SCHEMA_VERSION = 1;

export type Event<Type extends string, Data> = Readonly<{ type: Type; data: Readonly<Data> }>;

export type AddingType = 'adding' | 'p2p_adding';
export type SpendingType = 'spending' | 'p2p_spending';
export type LotState = 'active' | 'pending';

export interface Allocation {
  lotId: string;
  points: Hundredths;
  /** the lot's expiry at the time of spending; p2p receivers keep it for the points they get */
  expiresAt?: string;
}

/** Opens the account; after an AccountClosed it opens a fresh one (at 0) on the same stream. */
export type AccountOpened = Event<
  'AccountOpened',
  { accountId: string; tenant: string; storeCode: string; customerId: string; openedAt: string }
>;

/** Opens a lot: a transfer with its own remaining amount, state and expiry. */
export type PointsAdded = Event<
  'PointsAdded',
  {
    transferId: string;
    type: AddingType;
    points: Hundredths;
    state: LotState;
    createdAt: string;
    /** business time reported by the client; see the catalogue's note */
    occurredAt?: string;
    activatesAt?: string;
    expiresAt?: string;
    comment?: string;
    /** internal, never shown to the customer */
    reason?: string;
    customerReason?: string;
    referenceId?: string;
    transactionId?: string;
    p2pId?: string;
    /** p2p only: the customer the points came from */
    senderCustomerId?: string;
  }
>;

export type PointsActivated = Event<'PointsActivated', { transferId: string; points: Hundredths; activatedAt: string }>;

export type PointsSpent = Event<
  'PointsSpent',
  {
    transferId: string;
    type: SpendingType;
    points: Hundredths;
    allocations: Allocation[];
    createdAt: string;
    /** business time reported by the client; see the catalogue's note */
    occurredAt?: string;
    comment?: string;
    reason?: string;
    customerReason?: string;
    referenceId?: string;
    transactionId?: string;
    p2pId?: string;
    /** p2p only: who receives the points, and the expiry of each sender lot drawn from */
    receiverCustomerId?: string;
  }
>;

export type PointsBlocked = Event<
  'PointsBlocked',
  { transferId: string; points: Hundredths; createdAt: string; comment?: string; reason?: string; referenceId?: string }
>;

/** A lot's remaining amount expires; points already spent from it stay spent. */
export type PointsExpired = Event<'PointsExpired', { lotId: string; points: Hundredths; expiredAt: string }>;

export interface Restoration {
  lotId: string;
  points: Hundredths;
  /** true when the lot had expired meanwhile: the points come back already expired */
  expired: boolean;
  /** true when the lot was cancelled meanwhile: the points come back already removed */
  cancelled?: boolean;
}

export type PointsCancelled = Event<
  'PointsCancelled',
  {
    transferId: string;
    /** what the cancel removed (adding), restored (spending) or released (block) */
    points: Hundredths;
    cancelledType: AddingType | SpendingType | 'blocked';
    restored?: Restoration[];
    cancelledAt: string;
  }
>;

export type AccountClosed = Event<'AccountClosed', { closedAt: string }>;

export type PointsAccountEvent =
  | AccountOpened
  | PointsAdded
  | PointsActivated
  | PointsSpent
  | PointsBlocked
  | PointsExpired
  | PointsCancelled
  | AccountClosed;

export interface CustomerProfile {
  customerNumber?: string;
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  loyaltyCardNumber?: string;
}

export type CustomerRegistered = Event<
  'CustomerRegistered',
  CustomerProfile & { customerId: string; tenant: string; storeCode: string; registeredAt: string }
>;
/** Carries only what changed: a string sets the field, null clears it. */
export type CustomerUpdated = Event<'CustomerUpdated', { [Field in keyof CustomerProfile]?: string | null } & { updatedAt: string }>;

export type CustomerEvent = CustomerRegistered | CustomerUpdated;

/** On `customerKey-<tenant>:<store>:<field>:<value>` streams: who holds a value unique in a store. */
export type CustomerKeyReserved = Event<
  'CustomerKeyReserved',
  { customerId: string; field: 'customerNumber' | 'email' | 'phone' | 'loyaltyCardNumber'; value: string; at: string }
>;
export type CustomerKeyReleased = Event<
  'CustomerKeyReleased',
  { customerId: string; field: 'customerNumber' | 'email' | 'phone' | 'loyaltyCardNumber'; value: string; at: string }
>;

export type CustomerKeyEvent = CustomerKeyReserved | CustomerKeyReleased;

/** Where a customer is told about a change: e-mail (the engine delivers it over SMTP), SMS or the shop's mobile app (the shop's own gateway). */
export type NotificationChannel = 'email' | 'sms' | 'mobile';

/**
 * One request to tell one customer, on one channel, about a change of their points (Salla's
 * channel_send). Stored on the customer's `customerNotification-` stream; subscribers deliver it.
 */
export type CustomerNotificationRequested = Event<
  'CustomerNotificationRequested',
  {
    notificationId: string;
    tenant: string;
    storeCode: string;
    customerId: string;
    channel: NotificationChannel;
    /** what happened to the points: added, subtracted, or reset (and then added, when `points` is given) */
    change: 'plus' | 'minus' | 'reset';
    points?: Hundredths;
    /** the ledger transfer the change made, when it made one */
    transferId?: string;
    /** the merchant's text for the customer */
    reason: string;
    /** the language the request was made in; the message is written in it */
    locale: 'ar' | 'en';
    requestedAt: string;
  }
>;

export type CustomerNotificationEvent = CustomerNotificationRequested;

export type LoyaltyEvent = PointsAccountEvent | CustomerEvent;

export type Issuer = 'system' | 'admin' | 'api' | 'customer';

/** Metadata on every stored event. */
export interface EventMetadata {
  tenant: string;
  storeCode: string;
  correlationId: string;
  causationId: string;
  issuer: Issuer;
  actor: string;
  idempotencyKey?: string;
  schemaVersion: number;
}
