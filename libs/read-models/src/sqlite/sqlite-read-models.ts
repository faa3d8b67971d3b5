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

/** Queries over the live SQLite views; a swapped-in rebuild is seen by the next query (same table names). */
export class SqliteReadModels implements ReadModelQueries {
  readonly accounts: AccountsQueries;
  readonly transfers: TransfersQueries;
  readonly customers: CustomersQueries;
  readonly lots: LotsQueries;
  readonly histogram: HistogramQueries;

  constructor(private readonly db: SqliteDatabase) {
    this.accounts = {
      account: async (tenant, storeCode, customerId) => {
        const doc = this.db.prepare(`SELECT * FROM ${ACCOUNTS.name} WHERE id = ?`).get(accountDocId(tenant, storeCode, customerId)) as AccountDocument | undefined;
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
    };
    this.transfers = {
      list: async (query) => this.listTransfers(query),
      byId: async (tenant, storeCode, transferId) => {
        const doc = this.db.prepare(`SELECT * FROM ${TRANSFERS.name} WHERE id = ?`).get(transferDocId(tenant, storeCode, transferId)) as TransferDocument | undefined;
        return doc && toTransferRow(doc);
      },
    };
    this.customers = {
      byId: async (tenant, storeCode, customerId) => {
        const doc = this.db.prepare(`SELECT * FROM ${CUSTOMERS.name} WHERE id = ? AND storeCode = ?`).get(customerDocId(tenant, customerId), storeCode) as
          | CustomerDocument
          | undefined;
        return doc && toCustomerRecord(doc);
      },
      findBy: async (tenant, storeCode, field, value) => this.findCustomer(tenant, storeCode, field, value),
    };
    this.lots = {
      due: async (at, limit) =>
        (
          this.db
            .prepare(`SELECT tenant, storeCode, customerId, lotId, dueAction AS action, dueAt FROM ${LOTS.name} WHERE dueAt <= ? ORDER BY dueAt, id LIMIT ?`)
            .all(at, limit) as DueLot[]
        ).map((lot) => ({ ...lot })),
      lots: async (tenant, storeCode, customerId) =>
        (
          this.db
            .prepare(`SELECT * FROM ${LOTS.name} WHERE tenant = ? AND storeCode = ? AND customerId = ? ORDER BY createdAt, lotId`)
            .all(tenant, storeCode, customerId) as LotDocument[]
        ).map(toLotRecord) as LotRecord[],
      expiringBetween: async (tenant, storeCode, customerId, from, to) => {
        const row = this.db
          .prepare(
            `SELECT COALESCE(SUM(remaining), 0) AS points FROM ${LOTS.name}
             WHERE tenant = ? AND storeCode = ? AND customerId = ? AND expiresAt > ? AND expiresAt <= ? AND state = 'active'`,
          )
          .get(tenant, storeCode, customerId, from, to) as { points: number };
        return row.points;
      },
      scheduledPerDay: async (tenant, storeCode, kind, fromDay, toDay) => {
        const column = kind === 'expiry' ? 'expiresAt' : 'activatesAt';
        const states = kind === 'expiry' ? `state IN ('active', 'pending')` : `state = 'pending'`;
        const rows = this.db
          .prepare(
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
        const rows = this.db
          .prepare(`SELECT day, total FROM ${HISTOGRAM.name} WHERE tenant = ? AND storeCode = ? AND pointType = ? AND day >= ? AND day <= ? AND total != 0`)
          .all(tenant, storeCode, pointType, fromDay, toDay) as Array<{ day: string; total: number }>;
        return Object.fromEntries(rows.map((row) => [row.day, row.total]));
      },
    };
  }

  private listTransfers(query: TransferListQuery): TransferList {
    const plan = planTransferList(query);
    const clauses: string[] = [];
    const params: Array<string | number> = [];
    for (const [field, value] of plan.equals) {
      clauses.push(`${q(field)} = ?`);
      params.push(value);
    }
    for (const [field, values] of plan.anyOf) {
      clauses.push(`${q(field)} IN (${values.map(() => '?').join(',')})`);
      params.push(...values);
    }
    const where = clauses.join(' AND ');
    const direction = plan.descending ? 'DESC' : 'ASC';
    const rows = plan.limit
      ? (this.db
          .prepare(`SELECT * FROM ${TRANSFERS.name} WHERE ${where} ORDER BY ${q(plan.sortField)} ${direction}, transferId ${direction} LIMIT ? OFFSET ?`)
          .all(...params, plan.limit, plan.offset) as TransferDocument[])
      : [];
    const { total } = this.db
      .prepare(`SELECT COUNT(*) AS total FROM (SELECT 1 FROM ${TRANSFERS.name} WHERE ${where} LIMIT ?)`)
      .get(...params, TRANSFERS_RESULT_WINDOW) as { total: number };
    return { rows: rows.map(toTransferRow) as TransferRow[], total };
  }

  private findCustomer(tenant: string, storeCode: string, field: CustomerLookupField, value: string): CustomerRecord | undefined {
    const column = field === 'email' ? 'emailLc' : field;
    const needle = field === 'email' ? value.toLowerCase() : value;
    const doc = this.db
      .prepare(`SELECT * FROM ${CUSTOMERS.name} WHERE tenant = ? AND storeCode = ? AND ${q(column)} = ? ORDER BY customerId LIMIT 1`)
      .get(tenant, storeCode, needle) as CustomerDocument | undefined;
    return doc && toCustomerRecord(doc);
  }
}

/** the start of the day after `day`, as an exclusive upper bound on ISO times */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();
}
