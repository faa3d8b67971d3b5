import type { StoreRecord } from '@app/auth';
import type { CustomerResolver } from '@app/engine';
import type { AccountKey } from '@app/ledger';

/**
 * The points account a path's customer id names in the route's store, by the one rule every dialect
 * follows (CustomerResolver, `by: 'id'`): any well-formed id names the customer, registered or not; a
 * malformed one is refused on the field `customerId`.
 */
export async function customerAccount(customers: CustomerResolver, store: StoreRecord, customerId: string): Promise<AccountKey> {
  const ref = { tenant: store.tenant, storeCode: store.storeCode };
  return { ...ref, customerId: await customers.resolve(ref, { by: 'id', value: customerId }) };
}
