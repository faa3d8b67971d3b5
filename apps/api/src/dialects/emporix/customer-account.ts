import type { StoreRecord } from '@app/auth';
import type { AccountKey } from '@app/ledger';
import { ID_MESSAGE, ID_PATTERN } from '../../http/points.validator';
import { RequestValidationError } from '../../http/validation';

/**
 * The points account a path's customer id names in the route's store, by the one rule every dialect
 * follows (the customer resolver's `by: 'id'`): any id matching ID_PATTERN names the customer,
 * registered or not; anything else is a 400 on `customerId`.
 */
export async function customerAccount(store: StoreRecord, customerId: string): Promise<AccountKey> {
  if (!ID_PATTERN.test(customerId)) throw new RequestValidationError([{ field: 'customerId', message: ID_MESSAGE, path: ['customerId'] }]);
  return { tenant: store.tenant, storeCode: store.storeCode, customerId };
}
