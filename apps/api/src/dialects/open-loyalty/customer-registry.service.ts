import { ConflictException, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CLOCK, EVENT_STORE, metadataFor, ProgressTracker } from '@app/engine';
import type { EventStore, ExpectedRevision, StoredEvent } from '@app/event-store';
import { WrongExpectedRevisionError } from '@app/event-store';
import { Clock, customerStream, CustomerProfile, CustomerRegistered, CustomerUpdated } from '@app/ledger';

/** Profile fields that must be unique within a store when given. */
export const UNIQUE_CUSTOMER_FIELDS = ['customerNumber', 'email', 'phone', 'loyaltyCardNumber'] as const;
export type UniqueCustomerField = (typeof UNIQUE_CUSTOMER_FIELDS)[number];

export const PROFILE_FIELDS = ['customerNumber', 'email', 'phone', 'firstName', 'lastName', 'loyaltyCardNumber'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** A change to a profile: a string sets the field, null clears it, absent leaves it. */
export type ProfileChange = Partial<Record<ProfileField, string | null>>;

export interface CustomerState {
  customerId: string;
  storeCode: string;
  profile: Partial<Record<ProfileField, string>>;
  revision: number;
}

/** Reservation events on `customerKey-<tenant>:<store>:<field>:<value>` streams. */
type KeyEvent =
  | { type: 'CustomerKeyReserved'; data: { customerId: string; field: UniqueCustomerField; value: string; at: string } }
  | { type: 'CustomerKeyReleased'; data: { customerId: string; field: UniqueCustomerField; value: string; at: string } };

const KEY_CATEGORY = 'customerKey';
/** a claim without a registered holder after this long was left by a crash */
const STALE_CLAIM_MS = 60_000;

/** The value a key is unique on: e-mail ignores case, as lookups do. */
function keyValue(field: UniqueCustomerField, value: string): string {
  return field === 'email' ? value.toLowerCase() : value;
}

export function customerKeyStream(tenant: string, storeCode: string, field: UniqueCustomerField, value: string): string {
  // encoded so a value holding ':' or spaces cannot bleed into the stream name's parts
  return `${KEY_CATEGORY}-${tenant}:${storeCode}:${field}:${encodeURIComponent(keyValue(field, value))}`;
}

export class CustomerConflictException extends ConflictException {
  constructor(field: string, message: string) {
    super({ statusCode: 409, error: 'Conflict', message, code: 'customer_exists', errors: [{ field, message }] });
  }
}

/**
 * Customers as event streams, with exact per-store uniqueness of customer number, e-mail, phone
 * and loyalty card number: each value is claimed by appending to its own reservation stream with
 * `no_stream` (or the revision of its last release), which the event store enforces in both profiles.
 * A claim left behind by a crash between reserving and registering is stale (its holder's profile does
 * not carry the value) and is taken over.
 */
@Injectable()
export class CustomerRegistry {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly progress: ProgressTracker,
  ) {}

  async load(tenant: string, customerId: string): Promise<CustomerState | undefined> {
    return foldCustomer(customerId, await this.events.readStream(customerStream(tenant, customerId)));
  }

  async register(tenant: string, storeCode: string, customerId: string | undefined, profile: Partial<Record<ProfileField, string>>): Promise<string> {
    const id = customerId ?? randomUUID();
    const stream = customerStream(tenant, id);
    if ((await this.events.readStream(stream)).length) throw new CustomerConflictException('customerId', `customer ${id} already exists`);
    const claimed = await this.claimAll(tenant, storeCode, id, profile);
    const at = this.clock.now().toISOString();
    const event: CustomerRegistered = { type: 'CustomerRegistered', data: { ...profile, customerId: id, tenant, storeCode, registeredAt: at } };
    try {
      const result = await this.events.appendToStream(stream, [{ id: randomUUID(), type: event.type, data: event.data, metadata: { ...metadataFor(tenant, storeCode) } }], {
        expectedRevision: 'no_stream',
      });
      this.progress.appended(result.position);
    } catch (error) {
      await this.releaseAll(tenant, storeCode, id, claimed);
      if (error instanceof WrongExpectedRevisionError) throw new CustomerConflictException('customerId', `customer ${id} already exists`);
      throw error;
    }
    return id;
  }

  /** Applies a change; returns the new state. Unique values are claimed before and released after the profile moves. */
  async update(tenant: string, current: CustomerState, change: ProfileChange): Promise<CustomerState> {
    const { storeCode, customerId } = current;
    const changed: ProfileChange = {};
    for (const field of PROFILE_FIELDS) {
      if (change[field] !== undefined && change[field] !== (current.profile[field] ?? null)) changed[field] = change[field];
    }
    if (!Object.keys(changed).length) return current;
    const claims: Partial<Record<ProfileField, string>> = {};
    const releases: Partial<Record<ProfileField, string>> = {};
    for (const field of UNIQUE_CUSTOMER_FIELDS) {
      if (!(field in changed)) continue;
      const next = changed[field];
      const previous = current.profile[field];
      if (typeof next === 'string' && (previous === undefined || keyValue(field, previous) !== keyValue(field, next))) claims[field] = next;
      if (previous !== undefined && (next === null || (typeof next === 'string' && keyValue(field, previous) !== keyValue(field, next)))) releases[field] = previous;
    }
    const claimed = await this.claimAll(tenant, storeCode, customerId, claims);
    const event: CustomerUpdated = { type: 'CustomerUpdated', data: { ...(changed as CustomerProfile), updatedAt: this.clock.now().toISOString() } };
    try {
      const result = await this.events.appendToStream(
        customerStream(tenant, customerId),
        [{ id: randomUUID(), type: event.type, data: event.data, metadata: { ...metadataFor(tenant, storeCode) } }],
        { expectedRevision: current.revision },
      );
      this.progress.appended(result.position);
    } catch (error) {
      await this.releaseAll(tenant, storeCode, customerId, claimed);
      if (error instanceof WrongExpectedRevisionError) throw new CustomerConflictException('customerId', `customer ${customerId} was changed by another request; retry`);
      throw error;
    }
    await this.releaseAll(tenant, storeCode, customerId, releases);
    const profile = { ...current.profile };
    for (const [field, value] of Object.entries(changed) as Array<[ProfileField, string | null]>) {
      if (value === null) delete profile[field];
      else profile[field] = value;
    }
    return { ...current, profile, revision: current.revision + 1 };
  }

  private async claimAll(tenant: string, storeCode: string, customerId: string, values: Partial<Record<ProfileField, string>>) {
    const claimed: Partial<Record<ProfileField, string>> = {};
    try {
      for (const field of UNIQUE_CUSTOMER_FIELDS) {
        const value = values[field];
        if (value === undefined) continue;
        await this.claim(tenant, storeCode, customerId, field, value);
        claimed[field] = value;
      }
    } catch (error) {
      await this.releaseAll(tenant, storeCode, customerId, claimed);
      throw error;
    }
    return claimed;
  }

  private async claim(tenant: string, storeCode: string, customerId: string, field: UniqueCustomerField, value: string): Promise<void> {
    const stream = customerKeyStream(tenant, storeCode, field, value);
    for (let attempt = 0; attempt < 5; attempt++) {
      const history = await this.events.readStream(stream);
      const last = history[history.length - 1] as StoredEvent<KeyEvent['data']> | undefined;
      const holder = last?.type === 'CustomerKeyReserved' ? last.data.customerId : undefined;
      if (holder === customerId) return;
      if (holder !== undefined && last && (await this.holds(tenant, holder, field, value, last.data.at))) {
        throw new CustomerConflictException(field, `another customer in store ${storeCode} already has this ${field}`);
      }
      const expectedRevision: ExpectedRevision = last ? last.revision : 'no_stream';
      try {
        await this.appendKey(stream, tenant, storeCode, { type: 'CustomerKeyReserved', data: { customerId, field, value, at: this.clock.now().toISOString() } }, expectedRevision);
        return;
      } catch (error) {
        // someone claimed or released it meanwhile: look again
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
      }
    }
    throw new CustomerConflictException(field, `this ${field} is being claimed by another request; retry`);
  }

  /** Whether the holder's profile (the source of truth) still carries the value; a crash may have left a stale claim. */
  private async holds(tenant: string, holder: string, field: UniqueCustomerField, value: string, claimedAt: string): Promise<boolean> {
    const state = await this.load(tenant, holder);
    // no profile yet: a registration may still be in flight, so a recent claim counts as held
    if (!state) return this.clock.now().getTime() - Date.parse(claimedAt) < STALE_CLAIM_MS;
    const current = state.profile[field];
    return current !== undefined && keyValue(field, current) === keyValue(field, value);
  }

  private async releaseAll(tenant: string, storeCode: string, customerId: string, values: Partial<Record<ProfileField, string>>): Promise<void> {
    for (const field of UNIQUE_CUSTOMER_FIELDS) {
      const value = values[field];
      if (value === undefined) continue;
      const stream = customerKeyStream(tenant, storeCode, field, value);
      const history = await this.events.readStream(stream);
      const last = history[history.length - 1] as StoredEvent<KeyEvent['data']> | undefined;
      if (last?.type !== 'CustomerKeyReserved' || last.data.customerId !== customerId) continue;
      try {
        await this.appendKey(stream, tenant, storeCode, { type: 'CustomerKeyReleased', data: { customerId, field, value, at: this.clock.now().toISOString() } }, last.revision);
      } catch (error) {
        // a newer claim won: the key is no longer ours to release
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
      }
    }
  }

  private async appendKey(stream: string, tenant: string, storeCode: string, event: KeyEvent, expectedRevision: ExpectedRevision): Promise<void> {
    const result = await this.events.appendToStream(stream, [{ id: randomUUID(), type: event.type, data: event.data, metadata: { ...metadataFor(tenant, storeCode) } }], {
      expectedRevision,
    });
    this.progress.appended(result.position);
  }
}

export function foldCustomer(customerId: string, events: readonly StoredEvent[]): CustomerState | undefined {
  let state: CustomerState | undefined;
  for (const stored of events) {
    const data = stored.data as Record<string, unknown>;
    if (stored.type === 'CustomerRegistered') {
      state = { customerId, storeCode: String(data.storeCode), profile: {}, revision: stored.revision };
    }
    if (!state) continue;
    if (stored.type === 'CustomerRegistered' || stored.type === 'CustomerUpdated') {
      for (const field of PROFILE_FIELDS) {
        if (!(field in data)) continue;
        const value = data[field];
        if (typeof value === 'string') state.profile[field] = value;
        else delete state.profile[field];
      }
    }
    state.revision = stored.revision;
  }
  return state;
}
