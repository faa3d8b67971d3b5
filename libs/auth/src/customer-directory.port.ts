/**
 * Whether a customer exists in a store, asked before minting a customer token. The auth library
 * does not read the engine's views; the app that composes both supplies this.
 */
export interface CustomerDirectory {
  /** true when the customer is registered or holds a points account in the store, counting this process's own latest writes */
  knownCustomer(tenant: string, storeCode: string, customerId: string): Promise<boolean>;
}
