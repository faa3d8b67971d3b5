import { Injectable } from '@nestjs/common';
import { Hundredths, isLedgerError, LotDateOverrides } from '@app/ledger';
import { CustomerReference, CustomerResolver } from '../customers/customer-resolver';
import { ProgressTracker } from '../progress-tracker';
import { currentContext, runInContext } from '../request-context';
import { PointsService, StoreRef, TransferDetails } from './points.service';

export type BulkOperation =
  | { type: 'add'; points: Hundredths; details?: TransferDetails & LotDateOverrides }
  | { type: 'spend'; points: Hundredths; details?: TransferDetails }
  /** every active and pending lot expires (Salla's reset_points) */
  | { type: 'reset' }
  /** every active and pending lot expires and one lot of `points` opens, as one ledger command (Salla's reset_points with points) */
  | { type: 'resetAndAdd'; points: Hundredths; details?: TransferDetails & Pick<LotDateOverrides, 'validUntil' | 'validityDays'> };

export interface BulkItem {
  customer: CustomerReference;
  operation: BulkOperation;
}

/** An item the dialect refused before it reached the ledger (its own validation): answered in its place. */
export interface RefusedBulkItem {
  refused: string;
}

export type BulkResult =
  | { status: 'applied'; customerId: string; transferId?: string }
  | { status: 'refused'; customerId?: string; code: string; message: string };

export interface BulkTotals {
  processed: number;
  applied: number;
  refused: number;
}

export interface BulkOptions {
  /** items applied at once; items for the same customer still run one after another, in order */
  concurrency?: number;
  /** items after which the run waits for the projections to catch up with what it appended */
  catchUpEvery?: number;
  /** names the per-item idempotency scope: `<request scope>/<itemScope>/<index>` */
  itemScope?: string;
}

/**
 * Many points operations in one request (an XML import, Salla's bulk route): one result per item, in
 * item order. Each item is one ledger command, so each account changes all or nothing; a refusal
 * (insufficient points, an unknown customer) is that item's result and the rest go on. Items stream
 * through in batches, so memory stays flat however many there are; a keyed request gives each item its
 * own idempotency scope, so a retry after a crash applies every item once.
 */
@Injectable()
export class BulkPoints {
  constructor(
    private readonly points: PointsService,
    private readonly progress: ProgressTracker,
    private readonly customers: CustomerResolver,
  ) {}

  async apply(
    store: StoreRef,
    items: AsyncIterable<BulkItem | RefusedBulkItem> | Iterable<BulkItem | RefusedBulkItem>,
    onResults: (results: BulkResult[]) => Promise<void>,
    options: BulkOptions = {},
  ): Promise<BulkTotals> {
    const concurrency = options.concurrency ?? 32;
    const catchUpEvery = options.catchUpEvery ?? 1024;
    const itemScope = options.itemScope ?? 'bulk';
    // read-your-writes: customers registered just before the request are found
    await this.progress.caughtUp();
    const totals: BulkTotals = { processed: 0, applied: 0, refused: 0 };
    let batch: Array<BulkItem | RefusedBulkItem> = [];
    const flush = async () => {
      if (!batch.length) return;
      const results = await this.applyBatch(store, batch, totals.processed, itemScope);
      batch = [];
      for (const result of results) totals[result.status]++;
      totals.processed += results.length;
      await onResults(results);
      // keep the read models close behind: the projector then works in small batches instead of
      // catching up on thousands of events at once while the run keeps appending
      if (totals.processed % catchUpEvery < concurrency) await this.progress.caughtUp();
    };
    for await (const item of items) {
      batch.push(item);
      if (batch.length >= concurrency) await flush();
    }
    await flush();
    return totals;
  }

  /** Runs a batch; items for the same customer (however they name it) run one after another, in order. */
  private async applyBatch(store: StoreRef, batch: ReadonlyArray<BulkItem | RefusedBulkItem>, firstIndex: number, itemScope: string): Promise<BulkResult[]> {
    const results: BulkResult[] = new Array(batch.length);
    const customers = await Promise.all(batch.map((item) => ('refused' in item ? undefined : this.resolveCustomer(store, item.customer))));
    const lanes = new Map<string, number[]>();
    batch.forEach((item, i) => {
      const customer = customers[i];
      if ('refused' in item) results[i] = { status: 'refused', code: 'invalid_item', message: item.refused };
      else if (typeof customer !== 'string') results[i] = customer as BulkResult;
      else lanes.set(customer, [...(lanes.get(customer) ?? []), i]);
    });
    await Promise.all(
      [...lanes.entries()].map(async ([customerId, lane]) => {
        for (const i of lane) results[i] = await this.applyItem(store, customerId, batch[i] as BulkItem, `${itemScope}/${firstIndex + i}`);
      }),
    );
    return results;
  }

  private async applyItem(store: StoreRef, customerId: string, item: BulkItem, itemScope: string): Promise<BulkResult> {
    const account = { ...store, customerId };
    const { operation } = item;
    try {
      return await this.inItemContext(itemScope, async () => {
        switch (operation.type) {
          case 'add':
            return { status: 'applied', customerId, transferId: (await this.points.addPoints(account, operation.points, operation.details)).transferId };
          case 'spend':
            return { status: 'applied', customerId, transferId: (await this.points.spendPoints(account, operation.points, operation.details)).transferId };
          case 'reset':
            await this.points.resetPoints(account);
            return { status: 'applied', customerId };
          case 'resetAndAdd':
            return { status: 'applied', customerId, transferId: (await this.points.resetAndAddPoints(account, operation.points, operation.details)).transferId };
        }
      });
    } catch (error) {
      // a business refusal (e.g. insufficient points) fails this item only
      if (isLedgerError(error)) return { status: 'refused', customerId, code: error.code, message: error.message };
      throw error;
    }
  }

  /** Each item gets its own idempotency scope, so a keyed run retried after a crash stores every item once. */
  private inItemContext<T>(itemScope: string, work: () => Promise<T>): Promise<T> {
    const context = currentContext();
    return runInContext({ ...context, ...(context.idempotencyScope ? { idempotencyScope: `${context.idempotencyScope}/${itemScope}` } : {}) }, work);
  }

  /** The customer's id by the resolver's one rule, or the item's refusal when it names none. */
  private async resolveCustomer(store: StoreRef, reference: CustomerReference): Promise<string | BulkResult> {
    try {
      return await this.customers.resolve(store, reference);
    } catch (error) {
      if (isLedgerError(error)) return { status: 'refused', code: error.code, message: error.message };
      throw error;
    }
  }
}
