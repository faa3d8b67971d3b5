import type { StoredEvent } from '@app/event-store/event-store.port';
import type { LoyaltyEvent } from '@app/ledger/events';
import { AccountKey, CUSTOMER_CATEGORY, parsePointsAccountStream } from '@app/ledger/streams';

/** A stored event narrowed to the loyalty catalogue, with the account or customer it belongs to. */
export type Typed<T extends LoyaltyEvent['type']> = Extract<LoyaltyEvent, { type: T }>['data'];

export function accountOf(event: StoredEvent): AccountKey | undefined {
  return parsePointsAccountStream(event.streamId);
}

/** `customer-<tenant>:<customerId>`; CustomerUpdated carries neither in its data. */
export function customerOf(event: StoredEvent): { tenant: string; customerId: string } | undefined {
  const prefix = `${CUSTOMER_CATEGORY}-`;
  if (!event.streamId.startsWith(prefix)) return undefined;
  const [tenant, customerId, ...rest] = event.streamId.slice(prefix.length).split(':');
  if (!tenant || !customerId || rest.length) return undefined;
  return { tenant, customerId };
}

export function issuerOf(event: StoredEvent): string | null {
  const issuer = (event.metadata as { issuer?: unknown } | undefined)?.issuer;
  return typeof issuer === 'string' ? issuer : null;
}

export function dataOf<T extends LoyaltyEvent['type']>(event: StoredEvent, _type: T): Typed<T> {
  return event.data as Typed<T>;
}

export function lower(value: string | null | undefined): string | null {
  return value == null ? null : value.toLowerCase();
}

export function orNull<T>(value: T | undefined | null): T | null {
  return value === undefined ? null : value;
}
