/** Stream names; ids are validated at the API edge so they never contain ':'. */
export const POINTS_ACCOUNT_CATEGORY = 'pointsAccount';
export const CUSTOMER_CATEGORY = 'customer';

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

export function parsePointsAccountStream(streamId: string): AccountKey | undefined {
  const prefix = `${POINTS_ACCOUNT_CATEGORY}-`;
  if (!streamId.startsWith(prefix)) return undefined;
  const [tenant, storeCode, customerId, ...rest] = streamId.slice(prefix.length).split(':');
  if (!tenant || !storeCode || !customerId || rest.length) return undefined;
  return { tenant, storeCode, customerId };
}
