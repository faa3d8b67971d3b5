import { Inject, Injectable } from '@nestjs/common';
import { LedgerError, type UniqueCustomerField } from '@app/ledger';
import type { CustomerRecord, ReadModelQueries } from '@app/read-models';
import type { StoreRef } from '../points/points.service';
import { ProgressTracker } from '../progress-tracker';
import { PointsQueries } from '../queries/points-queries';
import { READ_MODELS } from '../tokens';

/** A customer as the customers view holds it; dialects shape their responses from it. */
export type { CustomerRecord };

/** Reads of a store's customers from the customers view, after this process's own writes reached it. */
@Injectable()
export class Customers {
  constructor(
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
    private readonly progress: ProgressTracker,
    private readonly points: PointsQueries,
  ) {}

  /** A page of the store's registered customers in customerId order, after `afterCustomerId` (keyset). */
  async page(store: StoreRef, afterCustomerId: string | undefined, limit: number): Promise<CustomerRecord[]> {
    await this.progress.caughtUp();
    return this.views.customers.page(store.tenant, store.storeCode, afterCustomerId, limit);
  }

  /**
   * Every customer of the store, once each, in customerId order: those with a points account and the
   * registered ones (who may have none yet), merged page by page, so memory holds two pages whatever
   * the store's size. Accounts opened during the walk are seen when the walk reaches them.
   */
  async *everyCustomerId(store: StoreRef, pageSize = 500): AsyncGenerator<string> {
    const accounts = this.pages(async (after) =>
      (await this.points.summaries({ ...store, limit: pageSize, ...(after !== undefined ? { after: { storeCode: store.storeCode, customerId: after } } : {}) })).map(
        (account) => account.customerId,
      ),
    );
    const registered = this.pages(async (after) => (await this.page(store, after, pageSize)).map((customer) => customer.customerId));
    let account = await accounts.next();
    let customer = await registered.next();
    while (!account.done || !customer.done) {
      if (customer.done || (!account.done && account.value < customer.value)) {
        yield account.value as string;
        account = await accounts.next();
      } else if (account.done || customer.value < account.value) {
        yield customer.value;
        customer = await registered.next();
      } else {
        yield account.value;
        [account, customer] = [await accounts.next(), await registered.next()];
      }
    }
  }

  /** The ids a keyset-paged read gives, one page in memory at a time. */
  private async *pages(read: (after: string | undefined) => Promise<string[]>): AsyncGenerator<string> {
    let after: string | undefined;
    for (;;) {
      const ids = await read(after);
      yield* ids;
      if (ids.length === 0) return;
      after = ids[ids.length - 1];
    }
  }

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
