import type { Scope } from '../scopes';

export const REQUIRED_SCOPES = 'loyalty:required-scopes';
export const CUSTOMER_ACCESS = 'loyalty:customer-access';

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

export interface AccessRule {
  scopes: readonly Scope[];
  customers: CustomerAccessRule;
  /** route parameter that names the store; resolved against the principal's tenant */
  storeParam: string;
}

export const DEFAULT_CUSTOMER_ACCESS: CustomerAccessRule = { mode: 'deny', customerParam: 'customerId' };
export const DEFAULT_STORE_PARAM = 'storeCode';
