import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '@app/event-store/sqlite/sqlite-database';
import {
  ACCOUNTS,
  AccountDocument,
  CUSTOMERS,
  CustomerDocument,
  HISTOGRAM,
  HistogramPointType,
  LOTS,
  LotDocument,
  TRANSFERS,
  TransferDocument,
  accountDocId,
  customerDocId,
  transferDocId,
} from '../documents';
import {
  AccountSummary,
  AccountsQueries,
  CustomerLookupField,
  CustomerRecord,
  CustomersQueries,
  DueLot,
  HistogramQueries,
  LotRecord,
  LotsQueries,
  ReadModelQueries,
  TRANSFERS_RESULT_WINDOW,
  TransferList,
  TransferListQuery,
  TransferRow,
  TransfersQueries,
} from '../queries.port';
import { planTransferList, toAccountSummary, toCustomerRecord, toLotRecord, toTransferRow } from '../view-rows';

const q = (identifier: string): string => `"${identifier}"`;

/** what a listing row needs (TransferRow), not the search helpers and positions */
const TRANSFER_ROW_COLUMNS = [
  'tenant',
  'storeCode',
  'transferId',
  'accountId',
  'customerId',
  'firstName',
  'lastName',
  'email',
  'phone',
  'loyaltyCardNumber',
  'state',
  'type',
  'value',
  'createdAt',
  'expiresAt',
  'activatesAt',
  'comment',
  'customerReason',
  'issuer',
  'referenceId',
  'transactionId',
]
  .map(q)
  .join(', ');

export interface SqliteReadModelsOptions {
  /**
   * A filtered listing whose matches number fewer than this is read through the filter's index and
   * sorted; with more, the sort column's index is walked instead. Default: the 10,000-result window.
   */
  sortMatchesBelow?: number;
}

/** Queries over the live SQLite views; a swapped-in rebuild is seen by the next query (same table names). */
export class SqliteReadModels implements ReadModelQueries {
  readonly accounts: AccountsQueries;
  readonly transfers: TransfersQueries;
  readonly customers: CustomersQueries;
  readonly lots: LotsQueries;
  readonly histogram: HistogramQueries;
  private readonly statements = new Map<string, Statement>();
  private readonly sortMatchesBelow: number;
  private counts: { version: string; totals: Map<string, number> } = { version: '', totals: new Map() };

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteReadModelsOptions = {},
  ) {
    this.sortMatchesBelow = options.sortMatchesBelow ?? TRANSFERS_RESULT_WINDOW;
    this.accounts = {
      account: async (tenant, storeCode, customerId) => {
        const doc = this.statement(`SELECT * FROM ${ACCOUNTS.name} WHERE id = ?`).get(accountDocId(tenant, storeCode, customerId)) as AccountDocument | undefined;
        return doc && toAccountSummary(doc);
      },
      accounts: async (tenant, storeCode, customerIds) => {
        if (!customerIds.length) return [];
        const out: AccountSummary[] = [];
        // chunks stay under SQLite's bound-parameter limit
        for (let i = 0; i < customerIds.length; i += 500) {
          const ids = customerIds.slice(i, i + 500).map((customerId) => accountDocId(tenant, storeCode, customerId));
          const docs = this.db.prepare(`SELECT * FROM ${ACCOUNTS.name} WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as AccountDocument[];
          out.push(...docs.map(toAccountSummary));
        }
        return out;
      },
      page: async ({ tenant, storeCode, after, limit }) => {
        const docs =
          storeCode !== undefined
            ? this.statement(`SELECT * FROM ${ACCOUNTS.name} WHERE tenant = ? AND storeCode = ? AND customerId > ? ORDER BY tenant, storeCode, customerId LIMIT ?`).all(
                tenant,
                storeCode,
                after && after.storeCode === storeCode ? after.customerId : '',
                limit,
              )
            : this.statement(`SELECT * FROM ${ACCOUNTS.name} WHERE tenant = ? AND (storeCode, customerId) > (?, ?) ORDER BY tenant, storeCode, customerId LIMIT ?`).all(
                tenant,
                after?.storeCode ?? '',
                after?.customerId ?? '',
                limit,
              );
        return (docs as AccountDocument[]).map(toAccountSummary);
      },
    };
    this.transfers = {
      list: async (query) => this.listTransfers(query),
      byId: async (tenant, storeCode, transferId) => {
        const doc = this.statement(`SELECT * FROM ${TRANSFERS.name} WHERE id = ?`).get(transferDocId(tenant, storeCode, transferId)) as TransferDocument | undefined;
        return doc && toTransferRow(doc);
      },
    };
    this.customers = {
      byId: async (tenant, storeCode, customerId) => {
        const doc = this.statement(`SELECT * FROM ${CUSTOMERS.name} WHERE id = ? AND storeCode = ?`).get(customerDocId(tenant, customerId), storeCode) as
          | CustomerDocument
          | undefined;
        return doc && toCustomerRecord(doc);
      },
      findBy: async (tenant, storeCode, field, value) => this.findCustomer(tenant, storeCode, field, value),
      findInTenant: async (tenant, field, value) => this.findCustomer(tenant, undefined, field, value),
      // walks the (tenant, storeCode, customerId) index
      page: async (tenant, storeCode, afterCustomerId, limit) =>
        (
          this
            .statement(`SELECT * FROM ${CUSTOMERS.name} WHERE tenant = ? AND storeCode = ? AND customerId > ? ORDER BY tenant, storeCode, customerId LIMIT ?`)
            .all(tenant, storeCode, afterCustomerId ?? '', limit) as CustomerDocument[]
        ).map(toCustomerRecord),
    };
    this.lots = {
      due: async (at, limit) =>
        (
          this
            .statement(`SELECT tenant, storeCode, customerId, lotId, dueAction AS action, dueAt FROM ${LOTS.name} WHERE dueAt <= ? ORDER BY dueAt, id LIMIT ?`)
            .all(at, limit) as DueLot[]
        ).map((lot) => ({ ...lot })),
      lots: async (tenant, storeCode, customerId) =>
        (
          this
            .statement(`SELECT * FROM ${LOTS.name} WHERE tenant = ? AND storeCode = ? AND customerId = ? ORDER BY createdAt, lotId`)
            .all(tenant, storeCode, customerId) as LotDocument[]
        ).map(toLotRecord) as LotRecord[],
      expiringBetween: async (tenant, storeCode, customerId, from, to) => {
        const row = this
          .statement(
            `SELECT COALESCE(SUM(remaining), 0) AS points FROM ${LOTS.name}
             WHERE tenant = ? AND storeCode = ? AND customerId = ? AND expiresAt > ? AND expiresAt <= ? AND state = 'active'`,
          )
          .get(tenant, storeCode, customerId, from, to) as { points: number };
        return row.points;
      },
      scheduledPerDay: async (tenant, storeCode, kind, fromDay, toDay) => {
        const column = kind === 'expiry' ? 'expiresAt' : 'activatesAt';
        const states = kind === 'expiry' ? `state IN ('active', 'pending')` : `state = 'pending'`;
        const rows = this
          .statement(
            `SELECT substr(${column}, 1, 10) AS day, SUM(remaining) AS points FROM ${LOTS.name}
             WHERE tenant = ? AND storeCode = ? AND ${column} >= ? AND ${column} < ? AND ${states} AND remaining > 0
             GROUP BY day`,
          )
          .all(tenant, storeCode, `${fromDay}T00:00:00.000Z`, nextDay(toDay)) as Array<{ day: string; points: number }>;
        return Object.fromEntries(rows.map((row) => [row.day, row.points]));
      },
    };
    this.histogram = {
      days: async (tenant: string, storeCode: string, pointType: HistogramPointType, fromDay: string, toDay: string) => {
        const rows = this
          .statement(`SELECT day, total FROM ${HISTOGRAM.name} WHERE tenant = ? AND storeCode = ? AND pointType = ? AND day >= ? AND day <= ? AND total != 0`)
          .all(tenant, storeCode, pointType, fromDay, toDay) as Array<{ day: string; total: number }>;
        return Object.fromEntries(rows.map((row) => [row.day, row.total]));
      },
    };
  }

  /**
   * One page read and, when the page does not tell, one count capped at the result window (over a
   * covering index); the page's access
   * path is chosen here rather than left to SQLite's guesses (without statistics it prefers walking the
   * sort index for any LIMIT, which reads every row of the store for a customer's listing):
   * - a filter index that also gives the order (one filter value, sorted by that column or by the
   *   default createdAt): a plain walk of that index;
   * - otherwise, when the filters match fewer rows than the window (`sortMatchesBelow`): read the matches
   *   through the filter index and sort them (`+column` keeps SQLite off the sort index), at most 10,000 rows;
   * - otherwise (many matches, or no filter): walk the sort index and filter as it goes (`+column`
   *   keeps SQLite off the filter indexes); the page ends within the window.
   */
  private listTransfers(query: TransferListQuery): TransferList {
    const plan = planTransferList(query);
    const [tenantFilter, storeFilter, ...filters] = plan.equals;
    const direction = plan.descending ? 'DESC' : 'ASC';
    /** the WHERE clause; `+column` (same value, no index) for the columns SQLite must not search an index by */
    const where = (indexable: (field: string) => boolean): { sql: string; params: Array<string | number> } => {
      const sql: string[] = [];
      const params: Array<string | number> = [];
      const column = (field: string): string => `${indexable(field) ? '' : '+'}${q(field)}`;
      for (const [field, value] of [tenantFilter, storeFilter, ...filters]) {
        sql.push(`${column(field)} = ?`);
        params.push(value);
      }
      for (const [field, values] of plan.anyOf) {
        sql.push(`${column(field)} IN (${values.map(() => '?').join(',')})`);
        params.push(...values);
      }
      return { sql: sql.join(' AND '), params };
    };
    // the filter whose index drives the read: the first customer filter, else a state or type filter
    const driving = filters.length ? filters[0][0] : plan.anyOf.length === 1 ? plan.anyOf[0][0] : undefined;
    const drivingValues = filters.length ? 1 : plan.anyOf.length === 1 ? plan.anyOf[0][1].length : 0;
    const byDriving = (field: string): boolean => driving === undefined || field === 'tenant' || field === 'storeCode' || field === driving;
    // counted through the driving filter's index alone (covering: no row is read), only when needed
    const counted = where(byDriving);
    let counting: number | undefined;
    const count = (): number =>
      (counting ??= this.cappedCount(counted.sql, counted.params));
    const filteredAtAll = filters.length > 0 || plan.anyOf.length > 0;
    if (!plan.limit) return { rows: [], total: count() };

    const inIndexOrder = driving !== undefined && drivingValues === 1 && (plan.sortField === 'createdAt' || plan.sortField === driving);
    const orderBy = (first: string): string => [first, ...plan.order.slice(1).map(q)].map((term) => `${term} ${direction}`).join(', ');
    let sql: string;
    let params: Array<string | number>;
    if (inIndexOrder) {
      // (tenant, storeCode, driving, createdAt, transferId) gives the rows in order: read the page off it
      const filtered = where((field) => field === 'tenant' || field === 'storeCode' || field === driving);
      sql = `SELECT ${TRANSFER_ROW_COLUMNS} FROM ${TRANSFERS.name} WHERE ${filtered.sql} ORDER BY ${orderBy(q(plan.sortField))} LIMIT ? OFFSET ?`;
      params = filtered.params;
    } else if (filteredAtAll && count() < this.sortMatchesBelow) {
      // fewer matches than the window: read them through a filter index and sort them
      const filtered = where(byDriving);
      sql = `SELECT ${TRANSFER_ROW_COLUMNS} FROM ${TRANSFERS.name} WHERE ${filtered.sql} ORDER BY ${orderBy(`+${q(plan.sortField)}`)} LIMIT ? OFFSET ?`;
      params = filtered.params;
    } else if (plan.sortField === 'transferId') {
      // the primary key (tenant:storeCode:transferId) is in transferId order within a store; tenant and store are checked on each row
      const prefix = `${tenantFilter[1]}:${storeFilter[1]}:`;
      const filtered = where(() => false);
      sql = `SELECT ${TRANSFER_ROW_COLUMNS} FROM ${TRANSFERS.name} WHERE id > ? AND id < ? AND ${filtered.sql} ORDER BY ${orderBy('id')} LIMIT ? OFFSET ?`;
      params = [prefix, `${prefix.slice(0, -1)};`, ...filtered.params];
    } else {
      // many matches (or no filter): walk (tenant, storeCode, sortField, createdAt, transferId), filtering as it goes
      const filtered = where((field) => field === 'tenant' || field === 'storeCode');
      sql = `SELECT ${TRANSFER_ROW_COLUMNS} FROM ${TRANSFERS.name} WHERE ${filtered.sql} ORDER BY ${orderBy(q(plan.sortField))} LIMIT ? OFFSET ?`;
      params = filtered.params;
    }
    // the selected columns are a TransferRow's, in its order
    const rows = this.statement(sql).all(...params, plan.limit, plan.offset) as TransferRow[];
    // a page that is not full and not empty ends the matches: its end is the total, no count needed
    const total = counting ?? (rows.length && rows.length < plan.limit ? plan.offset + rows.length : count());
    return { rows, total };
  }

  /**
   * Matches up to the result window: first whether a 10,000th match exists (an index walk that only
   * skips entries), and only when it does not, the exact count below it. Counts are kept until the
   * file changes: any write through this connection (total_changes), any commit by another
   * connection (data_version) or any schema change (a rebuild's swap) starts afresh, so a repeated
   * listing on a quiet store costs no count (like Elasticsearch's request cache, dropped on refresh).
   */
  private cappedCount(where: string, params: Array<string | number>): number {
    const version = this.statement(
      `SELECT (SELECT data_version FROM pragma_data_version) || ':' || (SELECT schema_version FROM pragma_schema_version) || ':' || total_changes() AS version`,
    ).get() as { version: string };
    if (version.version !== this.counts.version) this.counts = { version: version.version, totals: new Map() };
    const key = `${where}\u0000${JSON.stringify(params)}`;
    let total = this.counts.totals.get(key);
    if (total === undefined) {
      const full = this.statement(`SELECT 1 AS found FROM ${TRANSFERS.name} WHERE ${where} LIMIT 1 OFFSET ?`).get(...params, TRANSFERS_RESULT_WINDOW - 1);
      total = full ? TRANSFERS_RESULT_WINDOW : (this.statement(`SELECT COUNT(*) AS total FROM ${TRANSFERS.name} WHERE ${where}`).get(...params) as { total: number }).total;
      if (this.counts.totals.size >= 1_000) this.counts.totals.clear();
      this.counts.totals.set(key, total);
    }
    return total;
  }

  /** Prepared statements by SQL text: listings come in a bounded number of shapes. */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= 500) this.statements.delete(this.statements.keys().next().value as string);
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** In one store, or in the whole tenant when storeCode is undefined. */
  private findCustomer(tenant: string, storeCode: string | undefined, field: CustomerLookupField, value: string): CustomerRecord | undefined {
    const column = field === 'email' ? 'emailLc' : field;
    const needle = field === 'email' ? value.toLowerCase() : value;
    const doc = (
      storeCode !== undefined
        ? this.statement(`SELECT * FROM ${CUSTOMERS.name} WHERE tenant = ? AND storeCode = ? AND ${q(column)} = ? ORDER BY customerId LIMIT 1`).get(tenant, storeCode, needle)
        : field === 'customerId'
          ? this.statement(`SELECT * FROM ${CUSTOMERS.name} WHERE id = ?`).get(customerDocId(tenant, value))
          : this.statement(`SELECT * FROM ${CUSTOMERS.name} WHERE tenant = ? AND ${q(column)} = ? ORDER BY storeCode, customerId LIMIT 1`).get(tenant, needle)
    ) as CustomerDocument | undefined;
    return doc && toCustomerRecord(doc);
  }
}

/** the start of the day after `day`, as an exclusive upper bound on ISO times */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();
}
