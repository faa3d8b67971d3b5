import type { StoredEvent } from '@app/event-store/event-store.port';
import { LOTS, LotDocument, lotDocId } from '../documents';
import { Projection, ProjectionContext, utcTime } from '../projection';
import { accountOf, dataOf } from './event-helpers';

/** What the scheduler must do next with a lot, given its state and remaining amount. */
function withDue(lot: LotDocument): LotDocument {
  if (lot.state === 'pending' && lot.activatesAt) return { ...lot, dueAt: lot.activatesAt, dueAction: 'activate' };
  if (lot.state === 'active' && lot.expiresAt && lot.remaining > 0) return { ...lot, dueAt: lot.expiresAt, dueAction: 'expire' };
  return { ...lot, dueAt: null, dueAction: null };
}

/** Every lot with its remaining amount and next due time (the `due` view of DESIGN section 4). */
export const lotsProjection: Projection = {
  name: 'lots',
  collections: [LOTS],
  apply(event: StoredEvent, ctx: ProjectionContext): void {
    const key = accountOf(event);
    if (!key) return;
    const onLot = (lotId: string, mutate: (lot: LotDocument) => LotDocument | null): void =>
      ctx.change<LotDocument>(LOTS, lotDocId(key.tenant, key.storeCode, lotId), event.position, (lot) => {
        // a lot we never saw opened (e.g. dropped with a closed account) has nothing to change
        if (!lot) return undefined;
        const next = mutate(lot);
        return next && withDue(next);
      });

    switch (event.type) {
      case 'PointsAdded': {
        const data = dataOf(event, 'PointsAdded');
        return ctx.change<LotDocument>(LOTS, lotDocId(key.tenant, key.storeCode, data.transferId), event.position, () =>
          withDue({
            id: '',
            position: event.position,
            tenant: key.tenant,
            storeCode: key.storeCode,
            customerId: key.customerId,
            lotId: data.transferId,
            type: data.type,
            state: data.state,
            points: data.points,
            remaining: data.points,
            createdAt: utcTime(data.createdAt) as string,
            activatesAt: utcTime(data.activatesAt),
            expiresAt: utcTime(data.expiresAt),
            dueAt: null,
            dueAction: null,
          }),
        );
      }
      case 'PointsActivated':
        return onLot(dataOf(event, 'PointsActivated').transferId, (lot) => ({ ...lot, state: 'active' }));
      case 'PointsSpent':
        for (const allocation of dataOf(event, 'PointsSpent').allocations) {
          onLot(allocation.lotId, (lot) => ({ ...lot, remaining: lot.remaining - allocation.points }));
        }
        return;
      case 'PointsExpired': {
        const data = dataOf(event, 'PointsExpired');
        return onLot(data.lotId, (lot) => ({ ...lot, state: 'expired', remaining: lot.remaining - data.points }));
      }
      case 'PointsCancelled': {
        const data = dataOf(event, 'PointsCancelled');
        if (data.cancelledType === 'adding' || data.cancelledType === 'p2p_adding') {
          return onLot(data.transferId, (lot) => ({ ...lot, state: 'canceled', remaining: lot.remaining - data.points }));
        }
        if (data.cancelledType === 'blocked') return;
        for (const restoration of data.restored ?? []) {
          // points restored to an expired or cancelled lot come back already gone: nothing left to spend or expire
          if (restoration.expired || restoration.cancelled) continue;
          onLot(restoration.lotId, (lot) => ({ ...lot, remaining: lot.remaining + restoration.points }));
        }
        return;
      }
      case 'AccountClosed':
        return ctx.deleteWhere(LOTS, { tenant: key.tenant, storeCode: key.storeCode, customerId: key.customerId }, event.position);
    }
  },
};
