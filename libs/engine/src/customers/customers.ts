import { Inject, Injectable } from '@nestjs/common';
import { LedgerError, type UniqueCustomerField } from '@app/ledger';
import type { CustomerRecord, ReadModelQueries } from '@app/read-models';
import type { StoreRef } from '../points/points.service';
import { ProgressTracker } from '../progress-tracker';
import { READ_MODELS } from '../tokens';

/** A customer as the customers view holds it; dialects shape their responses from it. */
export type { CustomerRecord };

/** Reads of a store's customers from the customers view, after this process's own writes reached it. */
@Injectable()
export class Customers {
  constructor(
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
    private readonly progress: ProgressTracker,
  ) {}

  /** The customer registered in this store, else LedgerError customer_not_found. */
  async get(store: StoreRef, customerId: string): Promise<CustomerRecord> {
    await this.progress.caughtUp();
    const record = await this.views.customers.byId(store.tenant, store.storeCode, customerId);
    if (!record) throw new LedgerError('customer_not_found', `customer "${customerId}" not found`);
    return record;
  }

  /** The store's customer holding this unique value (e-mail ignores case), if any. */
  async lookup(store: StoreRef, field: UniqueCustomerField, value: string): Promise<CustomerRecord | undefined> {
    await this.progress.caughtUp();
    return this.views.customers.findBy(store.tenant, store.storeCode, field, value);
  }
}
