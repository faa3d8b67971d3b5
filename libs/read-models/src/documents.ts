/**
 * Read-model documents and the collections that hold them. One shape serves both adapters:
 * a SQLite row (one column per field) and a MongoDB document (`_id` = id). Every document
 * carries `position`, the global position of the last event applied to it, which is what
 * makes replays idempotent (an event at or before `position` is skipped for that document).
 * Amounts are integer hundredths; times are UTC ISO-8601 strings (so text order = time order).
 */
export type FieldType = 'text' | 'integer';
export type FieldValue = string | number | null;

export interface ViewDocument {
  id: string;
  position: number;
}

/**
 * Fills fields a stored document lacks with null. FerretDB drops null values from $setOnInsert,
 * so a MongoDB document may miss a field that is null; for queries, missing and null are the same.
 */
export function withNulls<D>(collection: CollectionSpec, doc: D): D {
  const filled = { ...doc } as Record<string, unknown>;
  for (const field of Object.keys(collection.fields)) if (filled[field] === undefined) filled[field] = null;
  return filled as D;
}

export interface CollectionSpec {
  /** logical name; also the live table/collection name */
  name: string;
  fields: Readonly<Record<string, FieldType>>;
  /** every index starts with tenant, storeCode where the collection has them (tenant-wide lookups: tenant alone) */
  indexes: ReadonlyArray<ReadonlyArray<string>>;
  /**
   * Fields a bulk `updateWhere` owns (guarded by their own position field in MongoDB);
   * a single-document update leaves them alone there so it never undoes a newer bulk rewrite.
   */
  bulkOwnedFields?: ReadonlyArray<string>;
  /**
   * Indexes (positions in `indexes`) a rebuild builds as soon as the first bulk change reaches the
   * shadow table and keeps from then on, because a bulk change matches on them; the others (and these,
   * when no bulk change came) are built once at the end, which is much faster than keeping them up.
   */
  replayIndexes?: ReadonlyArray<number>;
}

export type TransferState = 'active' | 'pending' | 'expired' | 'canceled';
export type TransferType = 'adding' | 'spending' | 'p2p_adding' | 'p2p_spending' | 'blocked';

// ---------------------------------------------------------------- accounts

export interface AccountDocument extends ViewDocument {
  tenant: string;
  storeCode: string;
  customerId: string;
  accountId: string | null;
  /** spendable: remaining of active lots minus blocked */
  available: number;
  pending: number;
  blocked: number;
  earned: number;
  spent: number;
  expired: number;
  p2pIn: number;
  p2pOut: number;
  lastChangeAt: string | null;
  /** JSON {lotId: [remaining, isP2p]} of pending lots: a cancel or expiry must know whether a lot was pending */
  pendingLots: string;
}

export const ACCOUNTS: CollectionSpec = {
  name: 'accounts',
  fields: {
    tenant: 'text',
    storeCode: 'text',
    customerId: 'text',
    accountId: 'text',
    available: 'integer',
    pending: 'integer',
    blocked: 'integer',
    earned: 'integer',
    spent: 'integer',
    expired: 'integer',
    p2pIn: 'integer',
    p2pOut: 'integer',
    lastChangeAt: 'text',
    pendingLots: 'text',
  },
  indexes: [['tenant', 'storeCode', 'customerId']],
};

export function accountDocId(tenant: string, storeCode: string, customerId: string): string {
  return `${tenant}:${storeCode}:${customerId}`;
}

// ---------------------------------------------------------------- lots (the `due` view)

export type LotViewState = 'active' | 'pending' | 'expired' | 'canceled';

export interface LotDocument extends ViewDocument {
  tenant: string;
  storeCode: string;
  customerId: string;
  lotId: string;
  type: 'adding' | 'p2p_adding';
  state: LotViewState;
  points: number;
  remaining: number;
  createdAt: string;
  activatesAt: string | null;
  expiresAt: string | null;
  /** when the scheduler must act next: activatesAt while pending, expiresAt while active with something left */
  dueAt: string | null;
  dueAction: 'activate' | 'expire' | null;
}

export const LOTS: CollectionSpec = {
  name: 'lots',
  fields: {
    tenant: 'text',
    storeCode: 'text',
    customerId: 'text',
    lotId: 'text',
    type: 'text',
    state: 'text',
    points: 'integer',
    remaining: 'integer',
    createdAt: 'text',
    activatesAt: 'text',
    expiresAt: 'text',
    dueAt: 'text',
    dueAction: 'text',
  },
  indexes: [
    // the scheduler's "what is due" scan runs across tenants, so it leads with dueAt
    ['dueAt'],
    ['tenant', 'storeCode', 'customerId', 'expiresAt'],
    ['tenant', 'storeCode', 'expiresAt'],
    ['tenant', 'storeCode', 'activatesAt'],
  ],
  replayIndexes: [1],
};

export function lotDocId(tenant: string, storeCode: string, lotId: string): string {
  return `${tenant}:${storeCode}:${lotId}`;
}

// ---------------------------------------------------------------- transfers

export interface TransferDocument extends ViewDocument {
  tenant: string;
  storeCode: string;
  transferId: string;
  accountId: string | null;
  customerId: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  loyaltyCardNumber: string | null;
  /** lower-cased copies: filters and sorts on names and e-mail ignore case */
  firstNameLc: string | null;
  lastNameLc: string | null;
  emailLc: string | null;
  /** position of the customer event the denormalized fields come from */
  customerPosition: number;
  state: TransferState;
  type: TransferType;
  value: number;
  createdAt: string;
  expiresAt: string | null;
  activatesAt: string | null;
  comment: string | null;
  /** what the customer sees in their own history; the internal `reason` is never in this view */
  customerReason: string | null;
  issuer: string | null;
  referenceId: string | null;
  transactionId: string | null;
}

export const CUSTOMER_FIELDS_ON_TRANSFERS = [
  'firstName',
  'lastName',
  'email',
  'phone',
  'loyaltyCardNumber',
  'firstNameLc',
  'lastNameLc',
  'emailLc',
  'customerPosition',
] as const;

export const TRANSFERS: CollectionSpec = {
  name: 'transfers',
  fields: {
    tenant: 'text',
    storeCode: 'text',
    transferId: 'text',
    accountId: 'text',
    customerId: 'text',
    firstName: 'text',
    lastName: 'text',
    email: 'text',
    phone: 'text',
    loyaltyCardNumber: 'text',
    firstNameLc: 'text',
    lastNameLc: 'text',
    emailLc: 'text',
    customerPosition: 'integer',
    state: 'text',
    type: 'text',
    value: 'integer',
    createdAt: 'text',
    expiresAt: 'text',
    activatesAt: 'text',
    comment: 'text',
    customerReason: 'text',
    issuer: 'text',
    referenceId: 'text',
    transactionId: 'text',
  },
  // Tenant and store first, then one filter or sort column, then createdAt and transferId: the listing's
  // tie-breakers, so a filter plus the default sort (or a sort alone) is one index walk with no sorting.
  // Sorting by transferId walks the primary key (tenant:storeCode:transferId) instead of an index of its own.
  indexes: [
    ['tenant', 'storeCode', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'customerId', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'firstNameLc', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'lastNameLc', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'emailLc', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'phone', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'state', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'type', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'value', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'expiresAt', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'activatesAt', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'accountId', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'loyaltyCardNumber', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'comment', 'createdAt', 'transferId'],
    ['tenant', 'storeCode', 'issuer', 'createdAt', 'transferId'],
  ],
  bulkOwnedFields: CUSTOMER_FIELDS_ON_TRANSFERS,
  // the customer rewrite (updateWhere on tenant, storeCode, customerId) needs its index while replaying
  replayIndexes: [1],
};

export function transferDocId(tenant: string, storeCode: string, transferId: string): string {
  return `${tenant}:${storeCode}:${transferId}`;
}

/** The transfers projection's own copy of a customer's profile, so rows are denormalized even while `customers` lags. */
export interface TransferCustomerDocument extends ViewDocument {
  tenant: string;
  customerId: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  loyaltyCardNumber: string | null;
  /** JSON array of store codes where this customer has transfer rows (the rewrite targets) */
  stores: string;
}

export const TRANSFER_CUSTOMERS: CollectionSpec = {
  name: 'transfer_customers',
  fields: {
    tenant: 'text',
    customerId: 'text',
    firstName: 'text',
    lastName: 'text',
    email: 'text',
    phone: 'text',
    loyaltyCardNumber: 'text',
    stores: 'text',
  },
  indexes: [],
};

/** The transfers projection's own account-id memory (AccountOpened carries it, later events do not). */
export interface TransferAccountDocument extends ViewDocument {
  accountId: string;
}

export const TRANSFER_ACCOUNTS: CollectionSpec = { name: 'transfer_accounts', fields: { accountId: 'text' }, indexes: [] };

export function customerDocId(tenant: string, customerId: string): string {
  return `${tenant}:${customerId}`;
}

// ---------------------------------------------------------------- customers

export interface CustomerDocument extends ViewDocument {
  tenant: string;
  storeCode: string;
  customerId: string;
  customerNumber: string | null;
  email: string | null;
  emailLc: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  loyaltyCardNumber: string | null;
  registeredAt: string | null;
  updatedAt: string | null;
}

export const CUSTOMERS: CollectionSpec = {
  name: 'customers',
  fields: {
    tenant: 'text',
    storeCode: 'text',
    customerId: 'text',
    customerNumber: 'text',
    email: 'text',
    emailLc: 'text',
    phone: 'text',
    firstName: 'text',
    lastName: 'text',
    loyaltyCardNumber: 'text',
    registeredAt: 'text',
    updatedAt: 'text',
  },
  indexes: [
    ['tenant', 'storeCode', 'customerId'],
    ['tenant', 'storeCode', 'customerNumber'],
    ['tenant', 'storeCode', 'emailLc'],
    ['tenant', 'storeCode', 'phone'],
    ['tenant', 'storeCode', 'loyaltyCardNumber'],
    // lookups in the whole tenant (findInTenant); by customerId that lookup is the primary key's
    ['tenant', 'customerNumber'],
    ['tenant', 'emailLc'],
    ['tenant', 'phone'],
    ['tenant', 'loyaltyCardNumber'],
  ],
};

// ---------------------------------------------------------------- histogram

export type HistogramPointType = 'earned' | 'spent' | 'expired' | 'pending';

export interface HistogramBucketDocument extends ViewDocument {
  tenant: string;
  storeCode: string;
  pointType: HistogramPointType;
  /** UTC day, YYYY-MM-DD */
  day: string;
  total: number;
}

export const HISTOGRAM: CollectionSpec = {
  name: 'histogram',
  fields: { tenant: 'text', storeCode: 'text', pointType: 'text', day: 'text', total: 'integer' },
  indexes: [['tenant', 'storeCode', 'pointType', 'day']],
};

export function bucketDocId(tenant: string, storeCode: string, pointType: HistogramPointType, day: string): string {
  return `${tenant}:${storeCode}:${pointType}:${day}`;
}

/** The histogram projection's memory of each transfer: which day its points landed in which bucket. */
export interface HistogramTransferDocument extends ViewDocument {
  /**
   * UTC day the transfer's points are booked on: its created day, except for a lot that was
   * pending and activated, whose earned points are booked on its activation day
   */
  createdDay: string;
  /** 1 while the lot is pending: its points sit in the `pending` bucket of createdDay */
  pending: number;
}

export const HISTOGRAM_TRANSFERS: CollectionSpec = {
  name: 'histogram_transfers',
  fields: { createdDay: 'text', pending: 'integer' },
  indexes: [],
};
