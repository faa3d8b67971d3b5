import type { StoredEvent } from '@app/event-store/event-store.port';
import type { CustomerProfile } from '@app/ledger/events';
import {
  TRANSFERS,
  TRANSFER_ACCOUNTS,
  TRANSFER_CUSTOMERS,
  TransferAccountDocument,
  TransferCustomerDocument,
  TransferDocument,
  TransferState,
  TransferType,
  accountDocId,
  customerDocId,
  transferDocId,
} from '../documents';
import { Projection, ProjectionContext, utcTime } from '../projection';
import { accountOf, customerOf, dataOf, issuerOf, lower, orNull } from './event-helpers';

function customerColumns(profile: TransferCustomerDocument | undefined): Pick<
  TransferDocument,
  'firstName' | 'lastName' | 'email' | 'phone' | 'loyaltyCardNumber' | 'firstNameLc' | 'lastNameLc' | 'emailLc' | 'customerPosition'
> {
  return {
    firstName: profile?.firstName ?? null,
    lastName: profile?.lastName ?? null,
    email: profile?.email ?? null,
    phone: profile?.phone ?? null,
    loyaltyCardNumber: profile?.loyaltyCardNumber ?? null,
    firstNameLc: lower(profile?.firstName),
    lastNameLc: lower(profile?.lastName),
    emailLc: lower(profile?.email),
    customerPosition: profile?.position ?? -1,
  };
}

interface NewRow {
  transferId: string;
  type: TransferType;
  state: TransferState;
  value: number;
  createdAt: string;
  expiresAt?: string;
  activatesAt?: string;
  comment?: string;
  customerReason?: string;
  referenceId?: string;
  transactionId?: string;
}

/**
 * One row per transfer (adds, spends, blocks, p2p) with the customer's fields denormalized.
 * It keeps its own copy of customer profiles and account ids, so its rows never depend on
 * how far another projection has got.
 */
export const transfersProjection: Projection = {
  name: 'transfers',
  collections: [TRANSFERS, TRANSFER_CUSTOMERS, TRANSFER_ACCOUNTS],
  apply(event: StoredEvent, ctx: ProjectionContext): void {
    if (event.type === 'CustomerRegistered' || event.type === 'CustomerUpdated') return applyCustomerEvent(event, ctx);
    const key = accountOf(event);
    if (!key) return;
    const { tenant, storeCode, customerId } = key;
    const accountKey = accountDocId(tenant, storeCode, customerId);

    const insertRow = (row: NewRow): void => {
      const profileId = customerDocId(tenant, customerId);
      const profile = ctx.get<TransferCustomerDocument>(TRANSFER_CUSTOMERS, profileId);
      const account = ctx.get<TransferAccountDocument>(TRANSFER_ACCOUNTS, accountKey);
      ctx.change<TransferDocument>(TRANSFERS, transferDocId(tenant, storeCode, row.transferId), event.position, (existing) =>
        existing
          ? undefined
          : {
              id: '',
              position: event.position,
              tenant,
              storeCode,
              transferId: row.transferId,
              accountId: account?.accountId ?? null,
              customerId,
              ...customerColumns(profile),
              state: row.state,
              type: row.type,
              value: row.value,
              createdAt: utcTime(row.createdAt) as string,
              expiresAt: utcTime(row.expiresAt),
              activatesAt: utcTime(row.activatesAt),
              comment: orNull(row.comment),
              customerReason: orNull(row.customerReason),
              issuer: issuerOf(event),
              referenceId: orNull(row.referenceId),
              transactionId: orNull(row.transactionId),
            },
      );
      // remember the store, so a later CustomerUpdated knows where this customer's rows are
      const stores = JSON.parse(profile?.stores ?? '[]') as string[];
      if (!stores.includes(storeCode)) {
        ctx.change<TransferCustomerDocument>(TRANSFER_CUSTOMERS, profileId, event.position, (current) => ({
          ...(current ?? emptyProfile(tenant, customerId)),
          stores: JSON.stringify([...stores, storeCode]),
        }));
      }
    };
    const setState = (transferId: string, state: TransferState): void =>
      ctx.change<TransferDocument>(TRANSFERS, transferDocId(tenant, storeCode, transferId), event.position, (row) =>
        row ? { ...row, state } : undefined,
      );

    switch (event.type) {
      case 'AccountOpened':
        return ctx.change<TransferAccountDocument>(TRANSFER_ACCOUNTS, accountKey, event.position, () => ({
          id: '',
          position: event.position,
          accountId: dataOf(event, 'AccountOpened').accountId,
        }));
      case 'PointsAdded': {
        const data = dataOf(event, 'PointsAdded');
        return insertRow({ ...data, value: data.points });
      }
      case 'PointsSpent': {
        const data = dataOf(event, 'PointsSpent');
        return insertRow({ ...data, state: 'active', value: data.points });
      }
      case 'PointsBlocked': {
        const data = dataOf(event, 'PointsBlocked');
        return insertRow({ ...data, type: 'blocked', state: 'active', value: data.points });
      }
      case 'PointsActivated':
        return setState(dataOf(event, 'PointsActivated').transferId, 'active');
      case 'PointsExpired':
        return setState(dataOf(event, 'PointsExpired').lotId, 'expired');
      case 'PointsCancelled':
        return setState(dataOf(event, 'PointsCancelled').transferId, 'canceled');
      case 'AccountClosed':
        ctx.change<TransferAccountDocument>(TRANSFER_ACCOUNTS, accountKey, event.position, () => null);
        return ctx.deleteWhere(TRANSFERS, { tenant, storeCode, customerId }, event.position);
    }
  },
};

function emptyProfile(tenant: string, customerId: string): TransferCustomerDocument {
  return {
    id: customerDocId(tenant, customerId),
    position: -1,
    tenant,
    customerId,
    firstName: null,
    lastName: null,
    email: null,
    phone: null,
    loyaltyCardNumber: null,
    stores: '[]',
  };
}

function applyCustomerEvent(event: StoredEvent, ctx: ProjectionContext): void {
  const customer = customerOf(event);
  if (!customer) return;
  const profileId = customerDocId(customer.tenant, customer.customerId);
  const data = event.data as CustomerProfile;
  // CustomerUpdated carries only what changed: a field absent from the event keeps its value
  const pick = (field: keyof CustomerProfile, current: string | null): string | null => (field in data ? orNull(data[field]) : current);
  let updated: TransferCustomerDocument | undefined;
  ctx.change<TransferCustomerDocument>(TRANSFER_CUSTOMERS, profileId, event.position, (current) => {
    const profile = current ?? emptyProfile(customer.tenant, customer.customerId);
    updated = {
      ...profile,
      firstName: pick('firstName', profile.firstName),
      lastName: pick('lastName', profile.lastName),
      email: pick('email', profile.email),
      phone: pick('phone', profile.phone),
      loyaltyCardNumber: pick('loyaltyCardNumber', profile.loyaltyCardNumber),
    };
    return updated;
  });
  // rewrite the rows already there; the guard on customerPosition lets a redelivered update change nothing
  const profile = updated ?? ctx.get<TransferCustomerDocument>(TRANSFER_CUSTOMERS, profileId);
  if (!profile) return;
  const { customerPosition: _ignored, ...columns } = customerColumns(profile);
  for (const storeCode of JSON.parse(profile.stores) as string[]) {
    ctx.updateWhere(TRANSFERS, { tenant: customer.tenant, storeCode, customerId: customer.customerId }, columns, 'customerPosition', event.position);
  }
}
