/** Stream names; ids are validated at the API edge so they never contain ':'. */
export const POINTS_ACCOUNT_CATEGORY = 'pointsAccount';
export const CUSTOMER_CATEGORY = 'customer';
export const CUSTOMER_KEY_CATEGORY = 'customerKey';
export const CUSTOMER_NOTIFICATION_CATEGORY = 'customerNotification';

export interface AccountKey {
  tenant: string;
  storeCode: string;
  customerId: string;
}

export function pointsAccountStream(key: AccountKey): string {
  return `${POINTS_ACCOUNT_CATEGORY}-${key.tenant}:${key.storeCode}:${key.customerId}`;
}

export function customerStream(tenant: string, customerId: string): string {
  return `${CUSTOMER_CATEGORY}-${tenant}:${customerId}`;
}

/** A customer's notification requests in one store (one stream per customer keeps each append small and ordered). */
export function customerNotificationStream(tenant: string, storeCode: string, customerId: string): string {
  return `${CUSTOMER_NOTIFICATION_CATEGORY}-${tenant}:${storeCode}:${customerId}`;
}

/** The reservation stream of a value unique in a store; e-mail ignores case, as lookups do. */
export function customerKeyStream(
  tenant: string,
  storeCode: string,
  field: 'customerNumber' | 'email' | 'phone' | 'loyaltyCardNumber',
  value: string,
): string {
  const unique = field === 'email' ? value.toLowerCase() : value;
  // encoded so a value holding ':' or spaces cannot bleed into the stream name's parts
  return `${CUSTOMER_KEY_CATEGORY}-${tenant}:${storeCode}:${field}:${encodeURIComponent(unique)}`;
}

export function parsePointsAccountStream(streamId: string): AccountKey | undefined {
  const prefix = `${POINTS_ACCOUNT_CATEGORY}-`;
  if (!streamId.startsWith(prefix)) return undefined;
  const [tenant, storeCode, customerId, ...rest] = streamId.slice(prefix.length).split(':');
  if (!tenant || !storeCode || !customerId || rest.length) return undefined;
  return { tenant, storeCode, customerId };
}
