import type { StoredEvent } from '@app/event-store';
import { parsePointsAccountStream, toDecimal } from '@app/ledger';
import type { Balance, CustomerProfile, PointsAccountEvent, PointsAccountState } from '@app/ledger';

/**
 * The public event catalogue: what subscribers (polling, SSE, webhooks) see. It is a contract of
 * its own, versioned per type, and deliberately not the stored event types (libs/ledger/src/events.ts):
 * those may change shape; these change only with a new schemaVersion.
 */
export const PUBLIC_SCHEMA_VERSION = 1;

export const POINTS_EVENT_TYPES = [
  'points.added',
  'points.spent',
  'points.blocked',
  'points.unblocked',
  'points.activated',
  'points.expired',
  'points.cancelled',
  'points.transferred',
] as const;
export const ACCOUNT_EVENT_TYPES = ['account.opened', 'account.closed'] as const;
export const CUSTOMER_EVENT_TYPES = ['customer.registered', 'customer.updated'] as const;
export const ENDPOINT_EVENT_TYPES = ['endpoint.paused', 'endpoint.disabled'] as const;
/**
 * Notification requests (the Salla dialect's, being added on another branch) join the catalogue
 * here: add their public names to this list, their mapping to `toPublicEvent` and a schema to
 * PUBLIC_EVENT_SCHEMAS.
 */
export const NOTIFICATION_EVENT_TYPES = [] as const;

export const PUBLIC_EVENT_TYPES = [
  ...POINTS_EVENT_TYPES,
  ...ACCOUNT_EVENT_TYPES,
  ...CUSTOMER_EVENT_TYPES,
  ...ENDPOINT_EVENT_TYPES,
  ...NOTIFICATION_EVENT_TYPES,
] as const;
export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

export function isPublicEventType(value: string): value is PublicEventType {
  return (PUBLIC_EVENT_TYPES as readonly string[]).includes(value);
}

/** The balance after an event, as exact decimals (JSON numbers with at most two fractional digits). */
export interface PublicBalance {
  available: number;
  active: number;
  pending: number;
  blocked: number;
}

export interface PublicEvent {
  /** the stored event's id: stable, use it to drop duplicates */
  id: string;
  type: PublicEventType;
  schemaVersion: number;
  /** opaque cursor: pass it back as `after` (polling, replay) or Last-Event-ID (SSE) */
  cursor: string;
  /** the global position the cursor stands for; increasing, for ordering and logs */
  position: number;
  occurredAt: string;
  tenant: string;
  storeCode: string;
  customerId?: string;
  /** the revision of the account's (or customer's) stream after this event, 0-based */
  accountVersion?: number;
  /** points events: the account's balance after this event */
  balance?: PublicBalance;
  data: Record<string, unknown>;
}

/** Category of the streams where the dispatcher records that it paused or disabled an endpoint. */
export const WEBHOOK_ENDPOINT_CATEGORY = 'webhookEndpoint';

const CURSOR_PREFIX = 'c1.';

/** Cursors are opaque to clients: a versioned wrapper around the global position. */
export function encodeCursor(position: number): string {
  return CURSOR_PREFIX + Buffer.from(String(position), 'utf8').toString('base64url');
}

/** The global position a cursor stands for; undefined when it is not one of ours. "0"-style raw positions are refused. */
export function decodeCursor(cursor: string): number | undefined {
  if (!cursor.startsWith(CURSOR_PREFIX)) return undefined;
  const raw = Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8');
  if (!/^(-1|0|[1-9]\d{0,15})$/.test(raw)) return undefined;
  return Number(raw);
}

function balanceOf(balance: Balance): PublicBalance {
  return {
    available: toDecimal(balance.available),
    active: toDecimal(balance.active),
    pending: toDecimal(balance.pending),
    blocked: toDecimal(balance.blocked),
  };
}

function withoutUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined));
}

/**
 * Maps one stored points-account event, with the account folded up to and including it, to its
 * public event. Pure: the same stored event and state always give the same payload.
 */
export function publicPointsEvent(stored: StoredEvent, after: PointsAccountState): PublicEvent | undefined {
  const account = parsePointsAccountStream(stored.streamId);
  if (!account) return undefined;
  const event = { type: stored.type, data: stored.data } as PointsAccountEvent;
  const base = {
    id: stored.id,
    schemaVersion: PUBLIC_SCHEMA_VERSION,
    cursor: encodeCursor(stored.position),
    position: stored.position,
    occurredAt: stored.recordedAt.toISOString(),
    tenant: account.tenant,
    storeCode: account.storeCode,
    customerId: account.customerId,
    accountVersion: stored.revision,
    balance: balanceOf(after.balance),
  };
  const publish = (type: PublicEventType, data: Record<string, unknown>): PublicEvent => ({ ...base, type, data: withoutUndefined(data) });
  switch (event.type) {
    case 'AccountOpened':
      return publish('account.opened', { openedAt: event.data.openedAt });
    case 'AccountClosed':
      return publish('account.closed', { closedAt: event.data.closedAt });
    case 'PointsAdded': {
      const d = event.data;
      const common = {
        transferId: d.transferId,
        points: toDecimal(d.points),
        state: d.state,
        createdAt: d.createdAt,
        activatesAt: d.activatesAt,
        expiresAt: d.expiresAt,
        comment: d.comment,
        customerReason: d.customerReason,
        referenceId: d.referenceId,
        transactionId: d.transactionId,
      };
      if (d.type === 'p2p_adding') {
        return publish('points.transferred', { ...common, direction: 'received', p2pId: d.p2pId, counterpartCustomerId: d.senderCustomerId });
      }
      return publish('points.added', common);
    }
    case 'PointsSpent': {
      const d = event.data;
      const common = {
        transferId: d.transferId,
        points: toDecimal(d.points),
        createdAt: d.createdAt,
        comment: d.comment,
        customerReason: d.customerReason,
        referenceId: d.referenceId,
        transactionId: d.transactionId,
      };
      if (d.type === 'p2p_spending') {
        return publish('points.transferred', { ...common, direction: 'sent', p2pId: d.p2pId, counterpartCustomerId: d.receiverCustomerId });
      }
      return publish('points.spent', common);
    }
    case 'PointsBlocked':
      return publish('points.blocked', {
        transferId: event.data.transferId,
        points: toDecimal(event.data.points),
        createdAt: event.data.createdAt,
        comment: event.data.comment,
        referenceId: event.data.referenceId,
      });
    case 'PointsActivated':
      return publish('points.activated', { transferId: event.data.transferId, points: toDecimal(event.data.points), activatedAt: event.data.activatedAt });
    case 'PointsExpired':
      return publish('points.expired', { transferId: event.data.lotId, points: toDecimal(event.data.points), expiredAt: event.data.expiredAt });
    case 'PointsCancelled': {
      const d = event.data;
      if (d.cancelledType === 'blocked') {
        return publish('points.unblocked', { transferId: d.transferId, points: toDecimal(d.points), unblockedAt: d.cancelledAt });
      }
      return publish('points.cancelled', {
        transferId: d.transferId,
        points: toDecimal(d.points),
        cancelledType: d.cancelledType,
        cancelledAt: d.cancelledAt,
      });
    }
  }
  return undefined;
}

/** Customer and endpoint events need no fold: their payload is the stored event's own data. */
export function publicStandaloneEvent(stored: StoredEvent): PublicEvent | undefined {
  const metadata = stored.metadata as { tenant?: string; storeCode?: string };
  const base = {
    id: stored.id,
    schemaVersion: PUBLIC_SCHEMA_VERSION,
    cursor: encodeCursor(stored.position),
    position: stored.position,
    occurredAt: stored.recordedAt.toISOString(),
    tenant: String(metadata.tenant ?? ''),
    storeCode: String(metadata.storeCode ?? ''),
  };
  switch (stored.type) {
    case 'CustomerRegistered': {
      const { tenant: _tenant, storeCode: _store, ...profile } = stored.data as CustomerProfile & { customerId: string; tenant: string; storeCode: string; registeredAt: string };
      return { ...base, type: 'customer.registered', customerId: profile.customerId, accountVersion: stored.revision, data: withoutUndefined({ ...profile }) };
    }
    case 'CustomerUpdated': {
      const customerId = stored.streamId.slice(stored.streamId.indexOf(':') + 1);
      return { ...base, type: 'customer.updated', customerId, accountVersion: stored.revision, data: withoutUndefined({ ...(stored.data as object) }) };
    }
    case 'WebhookEndpointPaused':
    case 'WebhookEndpointDisabled': {
      const type = stored.type === 'WebhookEndpointPaused' ? 'endpoint.paused' : 'endpoint.disabled';
      return { ...base, type, data: withoutUndefined({ ...(stored.data as object) }) };
    }
  }
  return undefined;
}
