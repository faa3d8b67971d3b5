import { Inject, Injectable } from '@nestjs/common';
import { CUSTOMER_ID_PATTERN, LedgerError, type UniqueCustomerField } from '@app/ledger';
import type { CustomerRecord, ReadModelQueries } from '@app/read-models';
import type { StoreRef } from '../points/points.service';
import { ProgressTracker } from '../progress-tracker';
import { READ_MODELS } from '../tokens';

export type CustomerKey = 'id' | UniqueCustomerField;

export interface CustomerReference {
  by: CustomerKey;
  value: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one rule by which every dialect turns what a request says about a customer into a customer id.
 *
 * - `resolve(store, {by, value})`: by `id`, any id matching CUSTOMER_ID_PATTERN names the customer,
 *   registered or not (accounts open on first credit; the ledger decides whether an account exists);
 *   a malformed id is `invalid_customer_id` (422). By customerNumber, email (any case), phone or
 *   loyaltyCardNumber, the value must be a registered customer's of that store, else `customer_not_found` (404).
 * - `resolveReference(store, text)`: a free-form reference ("email/phone or uuid of customer"): a
 *   registered id of the store, then an e-mail (when it holds '@'), then a phone, then a customer
 *   number; failing all, a uuid names a customer not registered; anything else is `customer_not_found`.
 * - `locate(tenant, {by, value})`: for requests that name no store: the registered customer anywhere
 *   in the tenant (the first store by code when several share the value), or undefined.
 *
 * Each waits for this process's own writes to reach the customers view first (read-your-writes).
 */
@Injectable()
export class CustomerResolver {
  constructor(
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
    private readonly progress: ProgressTracker,
  ) {}

  async resolve(store: StoreRef, reference: CustomerReference): Promise<string> {
    if (reference.by === 'id') return wellFormedId(reference.value);
    await this.progress.caughtUp();
    const found = await this.views.customers.findBy(store.tenant, store.storeCode, reference.by, reference.value);
    if (!found) throw new LedgerError('customer_not_found', `no customer with ${reference.by} ${reference.value} in store ${store.storeCode}`, { [reference.by]: reference.value });
    return found.customerId;
  }

  async resolveReference(store: StoreRef, text: string): Promise<string> {
    await this.progress.caughtUp();
    const { tenant, storeCode } = store;
    const customers = this.views.customers;
    const found: CustomerRecord | undefined =
      (CUSTOMER_ID_PATTERN.test(text) ? await customers.byId(tenant, storeCode, text) : undefined) ??
      (text.includes('@') ? await customers.findBy(tenant, storeCode, 'email', text) : undefined) ??
      (await customers.findBy(tenant, storeCode, 'phone', text)) ??
      (await customers.findBy(tenant, storeCode, 'customerNumber', text));
    if (found) return found.customerId;
    // an id never registered still names an account (accounts open on first credit)
    if (UUID.test(text)) return text;
    throw notFound(text);
  }

  async locate(tenant: string, reference: CustomerReference): Promise<{ customerId: string; storeCode: string } | undefined> {
    const field = reference.by === 'id' ? 'customerId' : reference.by;
    if (reference.by === 'id') wellFormedId(reference.value);
    await this.progress.caughtUp();
    const found = await this.views.customers.findInTenant(tenant, field, reference.value);
    return found && { customerId: found.customerId, storeCode: found.storeCode };
  }
}

function wellFormedId(id: string): string {
  if (!CUSTOMER_ID_PATTERN.test(id)) {
    throw new LedgerError('invalid_customer_id', `customerId ${JSON.stringify(id)} must be 1-128 letters, digits or . _ @ + - (starting with a letter or digit)`, { field: 'customerId' });
  }
  return id;
}

function notFound(reference: string): LedgerError {
  return new LedgerError('customer_not_found', `customer "${reference}" not found`);
}
