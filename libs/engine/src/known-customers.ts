import { Inject, Injectable } from '@nestjs/common';
import type { ReadModelQueries } from '@app/read-models';
import { ProgressTracker } from './progress-tracker';
import { READ_MODELS } from './tokens';

/** Customers a store knows: registered (customers view) or holding a points account (accounts view). */
@Injectable()
export class KnownCustomers {
  constructor(
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
    @Inject(ProgressTracker) private readonly progress: ProgressTracker,
  ) {}

  async knownCustomer(tenant: string, storeCode: string, customerId: string): Promise<boolean> {
    // a customer registered or credited a moment ago by this process counts
    await this.progress.caughtUp();
    const [customer, account] = await Promise.all([
      this.views.customers.byId(tenant, storeCode, customerId),
      this.views.accounts.account(tenant, storeCode, customerId),
    ]);
    return customer !== undefined || account !== undefined;
  }
}
