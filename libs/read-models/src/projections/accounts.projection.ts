import type { StoredEvent } from '@app/event-store/event-store.port';
import { ACCOUNTS, AccountDocument, accountDocId } from '../documents';
import { Projection, ProjectionContext, utcTime } from '../projection';
import { accountOf, dataOf } from './event-helpers';

type PendingLots = Record<string, [remaining: number, p2p: 0 | 1]>;

function emptyAccount(tenant: string, storeCode: string, customerId: string): AccountDocument {
  return {
    id: accountDocId(tenant, storeCode, customerId),
    position: -1,
    tenant,
    storeCode,
    customerId,
    accountId: null,
    available: 0,
    pending: 0,
    blocked: 0,
    earned: 0,
    spent: 0,
    expired: 0,
    p2pIn: 0,
    p2pOut: 0,
    lastChangeAt: null,
    pendingLots: '{}',
  };
}

/**
 * Balances per customer and store, with the ledger's definitions (`balanceOf` in
 * libs/ledger/src/points-account/fold.ts), which are the source of truth:
 * - earned: points of adding lots from the moment they are active (added active, or activated),
 *   less what cancelling them removed; a pending lot is not earned, and one that never activates
 *   (cancelled or reset while pending) never is.
 * - p2pIn: the same for p2p_adding lots (the ledger creates them active).
 * - pending: what pending lots hold; available: active lots' remaining minus blocked.
 * - expired: everything that expired, pending lots expired by a reset included.
 * Identity kept by every event: available + blocked = earned + p2pIn - spent - p2pOut - expired
 * + (points expired while still pending, which were never earned).
 */
export const accountsProjection: Projection = {
  name: 'accounts',
  collections: [ACCOUNTS],
  apply(event: StoredEvent, ctx: ProjectionContext): void {
    const key = accountOf(event);
    if (!key) return;
    const id = accountDocId(key.tenant, key.storeCode, key.customerId);
    const update = (at: string, mutate: (account: AccountDocument, pendingLots: PendingLots) => void): void =>
      ctx.change<AccountDocument>(ACCOUNTS, id, event.position, (current) => {
        const account = current ?? emptyAccount(key.tenant, key.storeCode, key.customerId);
        const pendingLots = JSON.parse(account.pendingLots) as PendingLots;
        mutate(account, pendingLots);
        account.pendingLots = JSON.stringify(pendingLots);
        account.lastChangeAt = utcTime(at);
        return account;
      });

    switch (event.type) {
      case 'AccountOpened': {
        const data = dataOf(event, 'AccountOpened');
        return update(data.openedAt, (account) => {
          account.accountId = data.accountId;
        });
      }
      case 'PointsAdded': {
        const data = dataOf(event, 'PointsAdded');
        const p2p = data.type === 'p2p_adding';
        return update(data.createdAt, (account, pendingLots) => {
          if (data.state === 'pending') {
            // earned only once it activates
            account.pending += data.points;
            pendingLots[data.transferId] = [data.points, p2p ? 1 : 0];
            return;
          }
          account.available += data.points;
          if (p2p) account.p2pIn += data.points;
          else account.earned += data.points;
        });
      }
      case 'PointsActivated': {
        const data = dataOf(event, 'PointsActivated');
        return update(data.activatedAt, (account, pendingLots) => {
          account.pending -= data.points;
          account.available += data.points;
          if (pendingLots[data.transferId]?.[1]) account.p2pIn += data.points;
          else account.earned += data.points;
          delete pendingLots[data.transferId];
        });
      }
      case 'PointsSpent': {
        const data = dataOf(event, 'PointsSpent');
        return update(data.createdAt, (account) => {
          account.available -= data.points;
          if (data.type === 'p2p_spending') account.p2pOut += data.points;
          else account.spent += data.points;
        });
      }
      case 'PointsBlocked': {
        const data = dataOf(event, 'PointsBlocked');
        return update(data.createdAt, (account) => {
          account.available -= data.points;
          account.blocked += data.points;
        });
      }
      case 'PointsExpired': {
        const data = dataOf(event, 'PointsExpired');
        return update(data.expiredAt, (account, pendingLots) => {
          // reset expires pending lots too: those points leave `pending`, not `available` (and were never earned)
          if (pendingLots[data.lotId]) {
            account.pending -= data.points;
            delete pendingLots[data.lotId];
          } else {
            account.available -= data.points;
          }
          account.expired += data.points;
        });
      }
      case 'PointsCancelled': {
        const data = dataOf(event, 'PointsCancelled');
        return update(data.cancelledAt, (account, pendingLots) => {
          switch (data.cancelledType) {
            case 'adding':
            case 'p2p_adding':
              if (pendingLots[data.transferId]) {
                // a lot cancelled while pending was never earned
                account.pending -= data.points;
                delete pendingLots[data.transferId];
                return;
              }
              account.available -= data.points;
              if (data.cancelledType === 'p2p_adding') account.p2pIn -= data.points;
              else account.earned -= data.points;
              return;
            case 'blocked':
              account.blocked -= data.points;
              account.available += data.points;
              return;
            case 'spending':
            case 'p2p_spending': {
              const restored = data.restored ?? [{ lotId: '', points: data.points, expired: false }];
              for (const restoration of restored) {
                if (data.cancelledType === 'p2p_spending') account.p2pOut -= restoration.points;
                else account.spent -= restoration.points;
                // points returning to a lot that expired or was cancelled meanwhile come back already gone
                if (restoration.cancelled) account.earned -= restoration.points;
                else if (restoration.expired) account.expired += restoration.points;
                else account.available += restoration.points;
              }
              return;
            }
          }
        });
      }
      case 'AccountClosed':
        return ctx.change<AccountDocument>(ACCOUNTS, id, event.position, () => null);
    }
  },
};
