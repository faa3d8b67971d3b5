import type { Principal } from './principal';
import { StoreNotFoundException } from './http/exceptions';
import type { StoreRecord, TenantDirectory } from './tenant-directory.port';

/**
 * Turns what a request names (a store code, another system's alias for a store, or nothing: the
 * client's default) into the caller's store. Lookups are within the caller's tenant only, so another
 * tenant's store answers exactly like a store that does not exist: cross-tenant access is impossible
 * rather than filtered.
 */
export class StoreAccess {
  // Stores and aliases never move and are never deleted, so what was found can be remembered for good.
  private readonly known = new Map<string, StoreRecord>();
  private readonly aliases = new Map<string, string>();

  constructor(private readonly directory: TenantDirectory) {}

  async resolveStore(principal: Principal, storeCode: string): Promise<StoreRecord> {
    const store = await this.find(principal.tenant, storeCode);
    if (!store) throw new StoreNotFoundException(storeCode);
    if (principal.role === 'customer' && principal.storeCode !== store.storeCode) throw new StoreNotFoundException(storeCode);
    return store;
  }

  /** The store another system's id names (`loyalty stores add <tenant> <code> --alias <id>`). */
  async resolveAlias(principal: Principal, alias: string): Promise<StoreRecord> {
    const key = `${principal.tenant}:${alias}`;
    let storeCode = this.aliases.get(key);
    if (storeCode === undefined) {
      storeCode = await this.directory.findStoreAlias(principal.tenant, alias);
      if (storeCode === undefined) throw new StoreNotFoundException(alias);
      this.aliases.set(key, storeCode);
    }
    return this.resolveStore(principal, storeCode);
  }

  /** The caller's default store: a customer token's own store, or the client's default (404 when it has none). */
  async defaultStore(principal: Principal): Promise<StoreRecord> {
    const storeCode = principal.role === 'customer' ? principal.storeCode : principal.defaultStore;
    if (storeCode === undefined) {
      throw new StoreNotFoundException('', 'this request names no store and the client has no default store (loyalty clients default-store <clientId> <storeCode>)');
    }
    return this.resolveStore(principal, storeCode);
  }

  private async find(tenant: string, storeCode: string): Promise<StoreRecord | undefined> {
    const key = `${tenant}:${storeCode}`;
    const remembered = this.known.get(key);
    if (remembered) return remembered;
    const store = await this.directory.findStore(tenant, storeCode);
    if (store) this.known.set(key, store);
    return store;
  }
}
