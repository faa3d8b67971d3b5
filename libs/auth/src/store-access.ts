import type { Principal } from './principal';
import { StoreNotFoundException } from './http/exceptions';
import type { StoreRecord, TenantDirectory } from './tenant-directory.port';

/**
 * Turns a store code from a URL into the caller's store. Another tenant's store answers exactly like a
 * store that does not exist, so cross-tenant access is impossible rather than filtered.
 */
export class StoreAccess {
  // Stores never move between tenants and are never deleted, so a found store can be remembered for good.
  private readonly known = new Map<string, StoreRecord>();

  constructor(private readonly directory: TenantDirectory) {}

  async resolveStore(principal: Principal, storeCode: string): Promise<StoreRecord> {
    const store = await this.find(storeCode);
    if (!store || store.tenant !== principal.tenant) throw new StoreNotFoundException(storeCode);
    if (principal.role === 'customer' && principal.storeCode !== store.storeCode) throw new StoreNotFoundException(storeCode);
    return store;
  }

  private async find(storeCode: string): Promise<StoreRecord | undefined> {
    const remembered = this.known.get(storeCode);
    if (remembered) return remembered;
    const store = await this.directory.findStore(storeCode);
    if (store) this.known.set(storeCode, store);
    return store;
  }
}
