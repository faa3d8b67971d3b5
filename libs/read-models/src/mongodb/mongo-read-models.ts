import type { Collection, Db, Document, Filter, Sort } from 'mongodb';
import {
  ACCOUNTS,
  CUSTOMERS,
  CollectionSpec,
  CustomerDocument,
  HISTOGRAM,
  HistogramBucketDocument,
  LOTS,
  LotDocument,
  TRANSFERS,
  TransferDocument,
  AccountDocument,
  accountDocId,
  withNulls,
  customerDocId,
  transferDocId,
} from '../documents';
import { accountsProjection } from '../projections/accounts.projection';
import { customersProjection } from '../projections/customers.projection';
import { histogramProjection } from '../projections/histogram.projection';
import { lotsProjection } from '../projections/lots.projection';
import { transfersProjection } from '../projections/transfers.projection';
import type { Projection } from '../projection';
import {
  AccountsQueries,
  CustomerLookupField,
  CustomerRecord,
  CustomersQueries,
  DueLot,
  HistogramQueries,
  LotsQueries,
  ReadModelQueries,
  TRANSFERS_RESULT_WINDOW,
  TransferList,
  TransferListQuery,
  TransfersQueries,
} from '../queries.port';
import { planTransferList, toAccountSummary, toCustomerRecord, toLotRecord, toTransferRow } from '../view-rows';
import { MONGO_CHECKPOINTS, MongoCheckpoint, mongoCollectionName } from './mongo-projection-store';
import { nextDay } from '../sqlite/sqlite-read-models';

type Stored<D> = Omit<D, 'id'> & { _id: string };

function fromStored<D>(doc: Stored<D> | null, spec: CollectionSpec): D | undefined {
  if (!doc) return undefined;
  const { _id, ...fields } = doc;
  return withNulls(spec, { id: _id, ...fields } as unknown as D);
}

export interface MongoReadModelsOptions {
  /** how long a projection's live generation is trusted before re-reading its checkpoint document */
  generationCacheMs?: number;
}

/**
 * Queries over the live MongoDB views. Each projection's live collections are found through its
 * checkpoint document's generation (the rebuild pointer), cached briefly.
 */
export class MongoReadModels implements ReadModelQueries {
  readonly accounts: AccountsQueries;
  readonly transfers: TransfersQueries;
  readonly customers: CustomersQueries;
  readonly lots: LotsQueries;
  readonly histogram: HistogramQueries;
  private readonly generations = new Map<string, { generation: number; readAt: number }>();
  private readonly generationCacheMs: number;

  constructor(
    private readonly db: Db,
    options: MongoReadModelsOptions = {},
  ) {
    this.generationCacheMs = options.generationCacheMs ?? 1_000;
    this.accounts = {
      account: async (tenant, storeCode, customerId) => {
        const accounts = await this.collection<AccountDocument>(accountsProjection, ACCOUNTS);
        const doc = fromStored<AccountDocument>(await accounts.findOne({ _id: accountDocId(tenant, storeCode, customerId) }), ACCOUNTS);
        return doc && toAccountSummary(doc);
      },
      accounts: async (tenant, storeCode, customerIds) => {
        if (!customerIds.length) return [];
        const accounts = await this.collection<AccountDocument>(accountsProjection, ACCOUNTS);
        const docs = await accounts.find({ _id: { $in: customerIds.map((customerId) => accountDocId(tenant, storeCode, customerId)) } }).toArray();
        return docs.map((doc) => toAccountSummary(fromStored<AccountDocument>(doc, ACCOUNTS) as AccountDocument));
      },
      page: async ({ tenant, storeCode, after, limit }) => {
        const accounts = await this.collection<AccountDocument>(accountsProjection, ACCOUNTS);
        const filter =
          storeCode !== undefined
            ? { tenant, storeCode, ...(after && after.storeCode === storeCode ? { customerId: { $gt: after.customerId } } : {}) }
            : after
              ? { tenant, $or: [{ storeCode: { $gt: after.storeCode } }, { storeCode: after.storeCode, customerId: { $gt: after.customerId } }] }
              : { tenant };
        const docs = await accounts.find(filter).sort({ tenant: 1, storeCode: 1, customerId: 1 }).limit(limit).toArray();
        return docs.map((doc) => toAccountSummary(fromStored<AccountDocument>(doc, ACCOUNTS) as AccountDocument));
      },
    };
    this.transfers = {
      list: (query) => this.listTransfers(query),
      byId: async (tenant, storeCode, transferId) => {
        const transfers = await this.collection<TransferDocument>(transfersProjection, TRANSFERS);
        const doc = fromStored<TransferDocument>(await transfers.findOne({ _id: transferDocId(tenant, storeCode, transferId) }), TRANSFERS);
        return doc && toTransferRow(doc);
      },
    };
    this.customers = {
      byId: async (tenant, storeCode, customerId) => {
        const customers = await this.collection<CustomerDocument>(customersProjection, CUSTOMERS);
        const doc = fromStored<CustomerDocument>(await customers.findOne({ _id: customerDocId(tenant, customerId), storeCode }), CUSTOMERS);
        return doc && toCustomerRecord(doc);
      },
      findBy: (tenant, storeCode, field, value) => this.findCustomer(tenant, storeCode, field, value),
      findInTenant: (tenant, field, value) => this.findCustomer(tenant, undefined, field, value),
      page: async (tenant, storeCode, afterCustomerId, limit) => {
        const customers = await this.collection<CustomerDocument>(customersProjection, CUSTOMERS);
        const filter = { tenant, storeCode, ...(afterCustomerId !== undefined ? { customerId: { $gt: afterCustomerId } } : {}) };
        const docs = await customers.find(filter).sort({ tenant: 1, storeCode: 1, customerId: 1 }).limit(limit).toArray();
        return docs.map((doc) => toCustomerRecord(fromStored<CustomerDocument>(doc, CUSTOMERS) as CustomerDocument));
      },
    };
    this.lots = {
      due: async (at, limit) => {
        const lots = await this.collection<LotDocument>(lotsProjection, LOTS);
        const docs = await lots
          .find({ dueAt: { $ne: null, $lte: at } })
          .sort({ dueAt: 1, _id: 1 })
          .limit(limit)
          .toArray();
        return docs.map(
          (doc): DueLot => ({
            tenant: doc.tenant,
            storeCode: doc.storeCode,
            customerId: doc.customerId,
            lotId: doc.lotId,
            action: doc.dueAction as DueLot['action'],
            dueAt: doc.dueAt as string,
          }),
        );
      },
      lots: async (tenant, storeCode, customerId) => {
        const lots = await this.collection<LotDocument>(lotsProjection, LOTS);
        const docs = await lots.find({ tenant, storeCode, customerId }).sort({ createdAt: 1, lotId: 1 }).toArray();
        return docs.map((doc) => toLotRecord(fromStored<LotDocument>(doc, LOTS) as LotDocument));
      },
      expiringBetween: async (tenant, storeCode, customerId, from, to) => {
        const lots = await this.collection<LotDocument>(lotsProjection, LOTS);
        // summed here, not with $group: FerretDB's $group is the part of its aggregation we trust least
        const docs = await lots
          .find({ tenant, storeCode, customerId, state: 'active', expiresAt: { $gt: from, $lte: to } }, { projection: { remaining: 1 } })
          .toArray();
        return docs.reduce((sum, doc) => sum + doc.remaining, 0);
      },
      scheduledPerDay: async (tenant, storeCode, kind, fromDay, toDay) => {
        const lots = await this.collection<LotDocument>(lotsProjection, LOTS);
        const column = kind === 'expiry' ? 'expiresAt' : 'activatesAt';
        const filter: Filter<Stored<LotDocument>> = {
          tenant,
          storeCode,
          state: kind === 'expiry' ? { $in: ['active', 'pending'] } : 'pending',
          remaining: { $gt: 0 },
          [column]: { $gte: `${fromDay}T00:00:00.000Z`, $lt: nextDay(toDay) },
        };
        const docs = await lots.find(filter, { projection: { remaining: 1, [column]: 1 } }).toArray();
        const out: Record<string, number> = {};
        for (const doc of docs) {
          const day = (doc[column] as string).slice(0, 10);
          out[day] = (out[day] ?? 0) + doc.remaining;
        }
        return out;
      },
    };
    this.histogram = {
      days: async (tenant, storeCode, pointType, fromDay, toDay) => {
        const buckets = await this.collection<HistogramBucketDocument>(histogramProjection, HISTOGRAM);
        const docs = await buckets.find({ tenant, storeCode, pointType, day: { $gte: fromDay, $lte: toDay }, total: { $ne: 0 } }).toArray();
        return Object.fromEntries(docs.map((doc) => [doc.day, doc.total]));
      },
    };
  }

  /** forget cached generations (after a rebuild in this process) */
  refresh(): void {
    this.generations.clear();
  }

  private async collection<D>(projection: Projection, spec: CollectionSpec): Promise<Collection<Stored<D>>> {
    const cached = this.generations.get(projection.name);
    let generation = cached?.generation;
    if (!cached || performance.now() - cached.readAt > this.generationCacheMs) {
      const checkpoint = await this.db.collection<MongoCheckpoint>(MONGO_CHECKPOINTS).findOne({ _id: projection.name });
      generation = checkpoint?.generation ?? 0;
      this.generations.set(projection.name, { generation, readAt: performance.now() });
    }
    return this.db.collection<Stored<D>>(mongoCollectionName(spec, generation ?? 0));
  }

  private async listTransfers(query: TransferListQuery): Promise<TransferList> {
    const transfers = await this.collection<TransferDocument>(transfersProjection, TRANSFERS);
    const plan = planTransferList(query);
    const filter: Document = {};
    for (const [field, value] of plan.equals) filter[field] = value;
    for (const [field, values] of plan.anyOf) filter[field] = { $in: [...values] };
    const direction = plan.descending ? -1 : 1;
    // the same order as the SQLite adapter; by transferId through _id (tenant:storeCode:transferId), which has its index
    const sort: Sort = Object.fromEntries(plan.order.map((field) => [plan.sortField === 'transferId' && field === 'transferId' ? '_id' : field, direction]));
    const [docs, total] = await Promise.all([
      plan.limit ? transfers.find(filter).sort(sort).skip(plan.offset).limit(plan.limit).toArray() : Promise.resolve([]),
      transfers.countDocuments(filter, { limit: TRANSFERS_RESULT_WINDOW }),
    ]);
    return { rows: docs.map((doc) => toTransferRow(fromStored<TransferDocument>(doc, TRANSFERS) as TransferDocument)), total };
  }

  /** In one store, or in the whole tenant when storeCode is undefined. */
  private async findCustomer(tenant: string, storeCode: string | undefined, field: CustomerLookupField, value: string): Promise<CustomerRecord | undefined> {
    const customers = await this.collection<CustomerDocument>(customersProjection, CUSTOMERS);
    const column = field === 'email' ? 'emailLc' : field;
    const needle = field === 'email' ? value.toLowerCase() : value;
    const filter =
      storeCode !== undefined
        ? { tenant, storeCode, [column]: needle }
        : field === 'customerId'
          ? { _id: customerDocId(tenant, value) }
          : { tenant, [column]: needle };
    const sort: Record<string, 1> = storeCode === undefined ? { storeCode: 1, customerId: 1 } : { customerId: 1 };
    const [doc] = await customers.find(filter).sort(sort).limit(1).toArray();
    const customer = fromStored<CustomerDocument>(doc ?? null, CUSTOMERS);
    return customer && toCustomerRecord(customer);
  }
}
