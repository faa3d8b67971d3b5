import type { AccountDocument, CustomerDocument, HistogramPointType, LotDocument, TransferDocument, TransferState, TransferType, ViewDocument } from './documents';

/** Query ports the API calls; one SQLite and one MongoDB adapter each, proven by the same contract suite. */

/** An account's balance figures: its stored document without the view's bookkeeping (id, position, pending lots). */
export type AccountSummary = Omit<AccountDocument, keyof ViewDocument | 'pendingLots'>;

/** Where a page of accounts starts: after this account, in (storeCode, customerId) order. */
export interface AccountCursor {
  storeCode: string;
  customerId: string;
}

export interface AccountPageQuery {
  tenant: string;
  /** one store's accounts; every store of the tenant when absent */
  storeCode?: string;
  /** exclusive; from the first account when absent */
  after?: AccountCursor;
  limit: number;
}

export interface AccountsQueries {
  account(tenant: string, storeCode: string, customerId: string): Promise<AccountSummary | undefined>;
  /** the accounts found among customerIds, in no particular order */
  accounts(tenant: string, storeCode: string, customerIds: readonly string[]): Promise<AccountSummary[]>;
  /** open accounts in (storeCode, customerId) order, keyset-paged so a walk over millions stays cheap per page */
  page(query: AccountPageQuery): Promise<AccountSummary[]>;
}

/** A transfer as listed: its stored document without the view's bookkeeping and search helpers. */
export type TransferRow = Omit<TransferDocument, keyof ViewDocument | 'firstNameLc' | 'lastNameLc' | 'emailLc' | 'customerPosition'>;

/** Open Loyalty's column names (the API's `sort` values) -> what they sort by. */
export const TRANSFER_SORT_FIELDS = {
  pointsTransferId: 'transferId',
  accountId: 'accountId',
  customerId: 'customerId',
  customerFirstName: 'firstNameLc',
  customerLastName: 'lastNameLc',
  customerEmail: 'emailLc',
  customerPhone: 'phone',
  customerLoyaltyCardNumber: 'loyaltyCardNumber',
  createdAt: 'createdAt',
  expiresAt: 'expiresAt',
  activatesAt: 'activatesAt',
  value: 'value',
  state: 'state',
  type: 'type',
  comment: 'comment',
  issuer: 'issuer',
} as const;
export type TransferSort = keyof typeof TRANSFER_SORT_FIELDS;

/** Open Loyalty shows at most 10,000 results of a listing (its Elasticsearch window). */
export const TRANSFERS_RESULT_WINDOW = 10_000;

export interface TransferListQuery {
  tenant: string;
  storeCode: string;
  /** first name, last name and e-mail match whole values, ignoring case */
  customerFirstName?: string;
  customerLastName?: string;
  customerEmail?: string;
  customerPhone?: string;
  customerId?: string;
  /** any of these states */
  states?: readonly TransferState[];
  /** one type, or any of several */
  type?: TransferType | readonly TransferType[];
  sort?: TransferSort;
  direction?: 'ASC' | 'DESC';
  /** 1-based; default 1 */
  page?: number;
  /** default 10 */
  perPage?: number;
}

export interface TransferList {
  rows: TransferRow[];
  /**
   * Matching rows, counted up to the result window: beyond it the count stops (like
   * Elasticsearch's track_total_hits), which keeps a listing over a million rows fast.
   */
  total: number;
}

export interface TransfersQueries {
  list(query: TransferListQuery): Promise<TransferList>;
  byId(tenant: string, storeCode: string, transferId: string): Promise<TransferRow | undefined>;
}

/** A customer as the API shows it: its stored document without the view's bookkeeping and search helper. */
export type CustomerRecord = Omit<CustomerDocument, keyof ViewDocument | 'emailLc'>;

export type CustomerLookupField = 'customerId' | 'customerNumber' | 'email' | 'phone' | 'loyaltyCardNumber';

export interface CustomersQueries {
  byId(tenant: string, storeCode: string, customerId: string): Promise<CustomerRecord | undefined>;
  /** e-mail matches ignoring case; the others match exactly. First match by customerId when several. */
  findBy(tenant: string, storeCode: string, field: CustomerLookupField, value: string): Promise<CustomerRecord | undefined>;
  /**
   * The same match in any store of the tenant, for requests that name no store. Values are unique
   * per store only, so several stores may match: the first by storeCode, then customerId.
   */
  findInTenant(tenant: string, field: CustomerLookupField, value: string): Promise<CustomerRecord | undefined>;
  /** a store's registered customers in customerId order, keyset-paged: those after `afterCustomerId` (exclusive) */
  page(tenant: string, storeCode: string, afterCustomerId: string | undefined, limit: number): Promise<CustomerRecord[]>;
}

/** A lot as the scheduler and the summary see it: its stored document without the view's bookkeeping. */
export type LotRecord = Omit<LotDocument, keyof ViewDocument>;

export interface DueLot {
  tenant: string;
  storeCode: string;
  customerId: string;
  lotId: string;
  action: 'activate' | 'expire';
  dueAt: string;
}

export interface LotsQueries {
  /** lots whose activation or expiry is due at or before `at`, oldest first (the scheduler's work list) */
  due(at: string, limit: number): Promise<DueLot[]>;
  lots(tenant: string, storeCode: string, customerId: string): Promise<LotRecord[]>;
  /** remaining of active lots expiring in (from, to]: the summary's "expiring in the next 30 days" */
  expiringBetween(tenant: string, storeCode: string, customerId: string, from: string, to: string): Promise<number>;
  /**
   * Per UTC day in [fromDay, toDay]: remaining of lots scheduled to expire (active or pending lots with
   * an expiresAt) or to activate (pending lots with an activatesAt). The histogram's futureDays.
   */
  scheduledPerDay(tenant: string, storeCode: string, kind: 'expiry' | 'activation', fromDay: string, toDay: string): Promise<Record<string, number>>;
}

export interface HistogramQueries {
  /** day (YYYY-MM-DD) -> sum in hundredths, for days in [fromDay, toDay] that have a non-empty bucket */
  days(tenant: string, storeCode: string, pointType: HistogramPointType, fromDay: string, toDay: string): Promise<Record<string, number>>;
}

export interface ReadModelQueries {
  accounts: AccountsQueries;
  transfers: TransfersQueries;
  customers: CustomersQueries;
  lots: LotsQueries;
  histogram: HistogramQueries;
}

export type HistogramInterval = 'day' | 'month' | 'year';

/**
 * Rolls daily sums up to months (YYYY-MM) or years (YYYY) and fills every period in the range
 * with 0, as the Open Loyalty histogram shows them.
 */
export function rollUpHistogram(days: Record<string, number>, interval: HistogramInterval, fromDay: string, toDay: string): Record<string, number> {
  const keyOf = (day: string): string => (interval === 'day' ? day : interval === 'month' ? day.slice(0, 7) : day.slice(0, 4));
  const out: Record<string, number> = {};
  for (let t = Date.parse(`${fromDay}T00:00:00Z`), end = Date.parse(`${toDay}T00:00:00Z`); t <= end; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const key = keyOf(day);
    out[key] = (out[key] ?? 0) + (days[day] ?? 0);
  }
  return out;
}
