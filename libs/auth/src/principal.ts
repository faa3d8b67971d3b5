import type { Scope } from './scopes';

export type PrincipalRole = 'client' | 'customer';

/** Who is calling, as proven by a bearer token or an API key. Every query and command is bound to `tenant`. */
export interface Principal {
  tenant: string;
  /** the integration client; for a customer token, the client that minted it */
  clientId: string;
  scopes: readonly Scope[];
  role: PrincipalRole;
  /** customer tokens only: the one customer this principal may see */
  customerId?: string;
  /** customer tokens only: the one store the customer token is valid in */
  storeCode?: string;
  /** clients: the store a dialect's request that names none is for (`loyalty clients create --store`) */
  defaultStore?: string;
  /** how the credentials arrived, for audit metadata */
  via: 'bearer' | 'api-key';
}
