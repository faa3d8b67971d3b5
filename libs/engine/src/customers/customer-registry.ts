import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EventStore } from '@app/event-store';
import {
  Clock,
  CUSTOMER_ID_PATTERN,
  customerDecider,
  customerKeyDecider,
  customerKeyStream,
  customerKeyValue,
  customerStream,
  LedgerError,
  UNIQUE_CUSTOMER_FIELDS,
  type CustomerCommand,
  type CustomerEvent,
  type CustomerKeyCommand,
  type CustomerKeyEvent,
  type CustomerKeyState,
  type CustomerState,
  type Profile,
  type ProfileChange,
  type RegisteredCustomer,
  type UniqueCustomerField,
} from '@app/ledger';
import { AggregateService, type Decided } from '../aggregate.service';
import type { StoreRef } from '../points/points.service';
import { ProgressTracker } from '../progress-tracker';
import { metadataFor } from '../request-context';
import { CLOCK, EVENT_STORE } from '../tokens';

type UniqueValues = Partial<Record<UniqueCustomerField, string>>;

/** a claim without a registered holder after this long was left by a crash */
export const STALE_CLAIM_MS = 60_000;

/**
 * Registers and changes customers, with exact per-store uniqueness of customer number, e-mail (any
 * case), phone and loyalty card number: each value is claimed on its own reservation stream before
 * the profile carries it and released after the profile no longer does, and the event store's
 * expected revision lets only one claim win. A claim a crash left behind (its holder's profile does
 * not carry the value, or no profile came within STALE_CLAIM_MS) is taken over.
 */
@Injectable()
export class CustomerRegistry {
  private readonly customers: AggregateService<CustomerCommand, CustomerEvent, CustomerState>;
  private readonly keys: AggregateService<CustomerKeyCommand, CustomerKeyEvent, CustomerKeyState>;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly progress: ProgressTracker,
  ) {
    this.customers = new AggregateService(store, customerDecider);
    this.keys = new AggregateService(store, customerKeyDecider);
  }

  /** The customer as its stream says, in whichever store it registered; undefined when never registered. */
  async load(tenant: string, customerId: string): Promise<RegisteredCustomer | undefined> {
    const { state } = await this.customers.load(customerStream(tenant, customerId));
    return state.status === 'registered' ? state : undefined;
  }

  /** Registers a customer (a new uuid when no id is given) and answers its id. */
  async register(store: StoreRef, customerId: string | undefined, profile: Profile): Promise<string> {
    const { tenant, storeCode } = store;
    const id = customerId ?? randomUUID();
    if (!CUSTOMER_ID_PATTERN.test(id)) throw new LedgerError('invalid_customer_id', `customer id ${JSON.stringify(id)} is malformed`, { field: 'customerId' });
    // refused before any value is claimed, so a duplicate id never holds up another customer's values
    if (await this.load(tenant, id)) throw new LedgerError('customer_exists', `customer ${id} already exists`, { field: 'customerId' });
    const values: UniqueValues = {};
    for (const field of UNIQUE_CUSTOMER_FIELDS) if (typeof profile[field] === 'string') values[field] = profile[field];
    const claimed = await this.claimAll(store, id, values);
    try {
      this.appended(
        await this.customers.handle(
          customerStream(tenant, id),
          { type: 'RegisterCustomer', data: { customerId: id, tenant, storeCode, profile, now: this.now() } },
          { ...metadataFor(tenant, storeCode) },
        ),
      );
    } catch (error) {
      await this.releaseAll(store, id, claimed);
      throw error;
    }
    return id;
  }

  /** Applies a change (a string sets, null clears, absent leaves) and answers the customer after it. */
  async update(store: StoreRef, customerId: string, change: ProfileChange): Promise<RegisteredCustomer> {
    const { tenant, storeCode } = store;
    const current = await this.load(tenant, customerId);
    if (!current || current.storeCode !== storeCode) throw new LedgerError('customer_not_found', `customer "${customerId}" not found`);
    const claims: UniqueValues = {};
    for (const field of UNIQUE_CUSTOMER_FIELDS) {
      const next = change[field];
      const previous = current.profile[field];
      if (typeof next === 'string' && (previous === undefined || customerKeyValue(field, previous) !== customerKeyValue(field, next))) claims[field] = next;
    }
    const claimed = await this.claimAll(store, customerId, claims);
    // the state the change was last decided on: another writer may have moved the profile since `current`
    let decidedOn: CustomerState = current;
    let decided: Decided<CustomerEvent, CustomerState>;
    try {
      decided = await this.customers.handle(
        customerStream(tenant, customerId),
        (state) => {
          decidedOn = state;
          return { type: 'UpdateCustomer', data: { change, now: this.now() } };
        },
        { ...metadataFor(tenant, storeCode) },
      );
    } catch (error) {
      await this.releaseAll(store, customerId, claimed);
      throw error;
    }
    this.appended(decided);
    const after = decided.state as RegisteredCustomer;
    const releases: UniqueValues = {};
    if (decidedOn.status === 'registered') {
      for (const field of UNIQUE_CUSTOMER_FIELDS) {
        const previous = decidedOn.profile[field];
        const next = after.profile[field];
        if (previous !== undefined && (next === undefined || customerKeyValue(field, previous) !== customerKeyValue(field, next))) releases[field] = previous;
      }
    }
    await this.releaseAll(store, customerId, releases);
    return after;
  }

  private async claimAll(store: StoreRef, customerId: string, values: UniqueValues): Promise<UniqueValues> {
    const claimed: UniqueValues = {};
    try {
      for (const field of UNIQUE_CUSTOMER_FIELDS) {
        const value = values[field];
        if (value === undefined) continue;
        await this.claim(store, customerId, field, value);
        claimed[field] = value;
      }
    } catch (error) {
      await this.releaseAll(store, customerId, claimed);
      throw error;
    }
    return claimed;
  }

  private async claim(store: StoreRef, customerId: string, field: UniqueCustomerField, value: string): Promise<void> {
    const stream = customerKeyStream(store.tenant, store.storeCode, field, value);
    const { state } = await this.keys.load(stream);
    const staleHolder =
      state.status === 'reserved' && state.customerId !== customerId && !(await this.holds(store.tenant, state.customerId, field, value, state.at))
        ? state.customerId
        : undefined;
    this.appended(
      await this.keys.handle(
        stream,
        { type: 'ReserveCustomerKey', data: { customerId, field, value, now: this.now(), ...(staleHolder ? { staleHolder } : {}) } },
        { ...metadataFor(store.tenant, store.storeCode) },
      ),
    );
  }

  /** Whether the holder's profile (the source of truth) still carries the value; a crash may have left a stale claim. */
  private async holds(tenant: string, holder: string, field: UniqueCustomerField, value: string, claimedAt: string): Promise<boolean> {
    const customer = await this.load(tenant, holder);
    // no profile yet: a registration may still be in flight, so a recent claim counts as held
    if (!customer) return this.clock.now().getTime() - Date.parse(claimedAt) < STALE_CLAIM_MS;
    const current = customer.profile[field];
    return current !== undefined && customerKeyValue(field, current) === customerKeyValue(field, value);
  }

  private async releaseAll(store: StoreRef, customerId: string, values: UniqueValues): Promise<void> {
    for (const field of UNIQUE_CUSTOMER_FIELDS) {
      const value = values[field];
      if (value === undefined) continue;
      // the decider releases only the holder's claim: one taken over meanwhile is left alone
      this.appended(
        await this.keys.handle(
          customerKeyStream(store.tenant, store.storeCode, field, value),
          { type: 'ReleaseCustomerKey', data: { customerId, field, value, now: this.now() } },
          { ...metadataFor(store.tenant, store.storeCode) },
        ),
      );
    }
  }

  private appended(decided: { position?: number }): void {
    if (decided.position !== undefined) this.progress.appended(decided.position);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
