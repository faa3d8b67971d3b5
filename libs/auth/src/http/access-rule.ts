import type { Scope } from '../scopes';

export const REQUIRED_SCOPES = 'loyalty:required-scopes';
export const CUSTOMER_ACCESS = 'loyalty:customer-access';
export const STORE_SOURCE = 'loyalty:store-source';
/** marks a route that is meant to answer without credentials (the token endpoint, health): see PublicRoute */
export const PUBLIC_ROUTE = 'loyalty:public-route';

/**
 * Whether customer tokens may call a route. `deny` (default): integration clients only.
 * `allow`: clients with the scope, or the customer named by the route's customer parameter.
 * `only`: customer tokens only.
 */
export interface CustomerAccessRule {
  mode: 'deny' | 'allow' | 'only';
  /** route parameter that names the customer; a customer token may only address itself */
  customerParam: string;
}

export type RequiredScopes = readonly Scope[];

/**
 * Where a route's request names its store. Whatever the source, the store is looked up within the
 * caller's tenant, and another tenant's store is a 404 exactly like none.
 * - `param`: a route parameter holding the store code (Open Loyalty's `/api/{storeCode}`).
 * - `query`: a query parameter holding the store code, `fallback` when absent (Emporix `?siteCode=`, default `main`);
 *   without a fallback an absent parameter leaves the route without a store (a tenant-wide read that may narrow to one).
 * - `body`: a body field holding a store alias (Prems `salesChannelId`); absent or empty leaves the route
 *   without a store, for the handler to find one (e.g. the customer's).
 * - `client-default`: the calling client's default store (Salla's requests name none).
 */
export type StoreSource =
  | { from: 'param'; name: string }
  | { from: 'query'; name: string; fallback?: string }
  | { from: 'body'; name: string }
  | { from: 'client-default' };

export const DEFAULT_CUSTOMER_ACCESS: CustomerAccessRule = { mode: 'deny', customerParam: 'customerId' };
export const DEFAULT_STORE_SOURCE: StoreSource = { from: 'param', name: 'storeCode' };
