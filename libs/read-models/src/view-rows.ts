import type { AccountDocument, CustomerDocument, LotDocument, TransferDocument } from './documents';
import type { AccountSummary, CustomerRecord, LotRecord, TransferListQuery, TransferRow } from './queries.port';
import { TRANSFERS_RESULT_WINDOW, TRANSFER_SORT_FIELDS } from './queries.port';

/** Stored documents -> what the query ports return (no ids, positions or search helpers). */

export function toAccountSummary(doc: AccountDocument): AccountSummary {
  return {
    tenant: doc.tenant,
    storeCode: doc.storeCode,
    customerId: doc.customerId,
    accountId: doc.accountId,
    available: doc.available,
    pending: doc.pending,
    blocked: doc.blocked,
    earned: doc.earned,
    spent: doc.spent,
    expired: doc.expired,
    p2pIn: doc.p2pIn,
    p2pOut: doc.p2pOut,
    lastChangeAt: doc.lastChangeAt,
  };
}

export function toTransferRow(doc: TransferDocument): TransferRow {
  return {
    tenant: doc.tenant,
    storeCode: doc.storeCode,
    transferId: doc.transferId,
    accountId: doc.accountId,
    customerId: doc.customerId,
    firstName: doc.firstName,
    lastName: doc.lastName,
    email: doc.email,
    phone: doc.phone,
    loyaltyCardNumber: doc.loyaltyCardNumber,
    state: doc.state,
    type: doc.type,
    value: doc.value,
    createdAt: doc.createdAt,
    expiresAt: doc.expiresAt,
    activatesAt: doc.activatesAt,
    comment: doc.comment,
    customerReason: doc.customerReason,
    issuer: doc.issuer,
    referenceId: doc.referenceId,
    transactionId: doc.transactionId,
  };
}

export function toCustomerRecord(doc: CustomerDocument): CustomerRecord {
  return {
    tenant: doc.tenant,
    storeCode: doc.storeCode,
    customerId: doc.customerId,
    customerNumber: doc.customerNumber,
    email: doc.email,
    phone: doc.phone,
    firstName: doc.firstName,
    lastName: doc.lastName,
    loyaltyCardNumber: doc.loyaltyCardNumber,
    registeredAt: doc.registeredAt,
    updatedAt: doc.updatedAt,
  };
}

export function toLotRecord(doc: LotDocument): LotRecord {
  return {
    tenant: doc.tenant,
    storeCode: doc.storeCode,
    customerId: doc.customerId,
    lotId: doc.lotId,
    type: doc.type,
    state: doc.state,
    points: doc.points,
    remaining: doc.remaining,
    createdAt: doc.createdAt,
    activatesAt: doc.activatesAt,
    expiresAt: doc.expiresAt,
    dueAt: doc.dueAt,
    dueAction: doc.dueAction,
  };
}

/**
 * A listing query reduced to equality/IN filters on stored fields, an order and a window-clipped page.
 * Rows tie-break by createdAt, then transferId (in the requested direction): every listing index of the
 * transfers view ends with those two columns, so a filter or sort column plus the default sort is one
 * index walk.
 */
export interface TransferListPlan {
  equals: Array<[field: string, value: string]>;
  anyOf: Array<[field: string, values: readonly string[]]>;
  sortField: string;
  /** sortField, then the tie-breakers: createdAt, transferId (without repeats) */
  order: string[];
  descending: boolean;
  offset: number;
  /** 0 when the page lies beyond the result window */
  limit: number;
}

export function planTransferList(query: TransferListQuery): TransferListPlan {
  const equals: Array<[string, string]> = [
    ['tenant', query.tenant],
    ['storeCode', query.storeCode],
  ];
  if (query.customerId !== undefined) equals.push(['customerId', query.customerId]);
  if (query.customerEmail !== undefined) equals.push(['emailLc', query.customerEmail.toLowerCase()]);
  if (query.customerPhone !== undefined) equals.push(['phone', query.customerPhone]);
  if (query.customerLastName !== undefined) equals.push(['lastNameLc', query.customerLastName.toLowerCase()]);
  if (query.customerFirstName !== undefined) equals.push(['firstNameLc', query.customerFirstName.toLowerCase()]);
  const anyOf: Array<[string, readonly string[]]> = [];
  if (query.states?.length) anyOf.push(['state', [...new Set(query.states)]]);
  if (query.type !== undefined) {
    const types = typeof query.type === 'string' ? [query.type] : query.type;
    if (types.length) anyOf.push(['type', [...new Set(types)]]);
  }
  const page = Math.max(1, Math.floor(query.page ?? 1));
  const perPage = Math.max(1, Math.floor(query.perPage ?? 10));
  const offset = (page - 1) * perPage;
  const sortField = TRANSFER_SORT_FIELDS[query.sort ?? 'createdAt'] ?? 'createdAt';
  return {
    equals,
    anyOf,
    sortField,
    order: [...new Set([sortField, 'createdAt', 'transferId'])].slice(0, sortField === 'transferId' ? 1 : 3),
    descending: query.direction === 'DESC',
    offset,
    limit: Math.max(0, Math.min(perPage, TRANSFERS_RESULT_WINDOW - offset)),
  };
}
