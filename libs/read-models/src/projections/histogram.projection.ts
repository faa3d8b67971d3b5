import type { StoredEvent } from '@app/event-store/event-store.port';
import {
  HISTOGRAM,
  HISTOGRAM_TRANSFERS,
  HistogramBucketDocument,
  HistogramPointType,
  HistogramTransferDocument,
  bucketDocId,
  transferDocId,
} from '../documents';
import { Projection, ProjectionContext, utcDay } from '../projection';
import { accountOf, dataOf } from './event-helpers';

/**
 * Daily UTC buckets per tenant, store and point type, kept so that summed over all days they
 * equal the accounts view summed over the store's accounts (the ledger's definitions):
 *   earned  = earned + p2pIn   (a lot counts once it is active: on its created day when added
 *                               active, on its activation day when it was pending)
 *   spent   = spent + p2pOut   (on the spending's created day)
 *   expired = expired          (on the expiry day)
 *   pending = pending          (what is still pending, on the lot's created day)
 * Cancels correct the day the points were booked on, not the cancel day: a cancelled spending
 * subtracts from its spent day, a cancelled active lot from its earned day, a cancelled pending
 * lot from its pending day (it was never earned). Points a cancelled spending returns to an
 * expired lot count as expired on the cancel day; to a cancelled lot, they leave earned on the
 * cancel day. Closing an account keeps its history.
 */
export const histogramProjection: Projection = {
  name: 'histogram',
  collections: [HISTOGRAM, HISTOGRAM_TRANSFERS],
  apply(event: StoredEvent, ctx: ProjectionContext): void {
    const key = accountOf(event);
    if (!key) return;
    const { tenant, storeCode } = key;
    const add = (pointType: HistogramPointType, day: string, points: number): void =>
      ctx.change<HistogramBucketDocument>(HISTOGRAM, bucketDocId(tenant, storeCode, pointType, day), event.position, (bucket) => ({
        ...(bucket ?? { id: '', position: -1, tenant, storeCode, pointType, day, total: 0 }),
        total: (bucket?.total ?? 0) + points,
      }));
    const memoryId = (transferId: string): string => transferDocId(tenant, storeCode, transferId);
    const remember = (transferId: string, createdDay: string, pending: boolean): void =>
      ctx.change<HistogramTransferDocument>(HISTOGRAM_TRANSFERS, memoryId(transferId), event.position, () => ({
        id: '',
        position: event.position,
        createdDay,
        pending: pending ? 1 : 0,
      }));
    const recall = (transferId: string): HistogramTransferDocument | undefined =>
      ctx.get<HistogramTransferDocument>(HISTOGRAM_TRANSFERS, memoryId(transferId));

    switch (event.type) {
      case 'PointsAdded': {
        const data = dataOf(event, 'PointsAdded');
        const day = utcDay(data.createdAt);
        add(data.state === 'pending' ? 'pending' : 'earned', day, data.points);
        return remember(data.transferId, day, data.state === 'pending');
      }
      case 'PointsActivated': {
        const data = dataOf(event, 'PointsActivated');
        const lot = recall(data.transferId);
        if (!lot?.pending) return;
        // from now on the lot's points are booked as earned on the activation day
        const activationDay = utcDay(data.activatedAt);
        add('pending', lot.createdDay, -data.points);
        add('earned', activationDay, data.points);
        return remember(data.transferId, activationDay, false);
      }
      case 'PointsSpent': {
        const data = dataOf(event, 'PointsSpent');
        const day = utcDay(data.createdAt);
        add('spent', day, data.points);
        return remember(data.transferId, day, false);
      }
      case 'PointsExpired': {
        const data = dataOf(event, 'PointsExpired');
        add('expired', utcDay(data.expiredAt), data.points);
        const lot = recall(data.lotId);
        if (lot?.pending) add('pending', lot.createdDay, -data.points);
        return;
      }
      case 'PointsCancelled': {
        const data = dataOf(event, 'PointsCancelled');
        const booked = recall(data.transferId);
        const cancelDay = utcDay(data.cancelledAt);
        switch (data.cancelledType) {
          case 'adding':
          case 'p2p_adding':
            if (booked?.pending) return add('pending', booked.createdDay, -data.points);
            return add('earned', booked?.createdDay ?? cancelDay, -data.points);
          case 'spending':
          case 'p2p_spending':
            for (const restoration of data.restored ?? [{ lotId: '', points: data.points, expired: false }]) {
              add('spent', booked?.createdDay ?? cancelDay, -restoration.points);
              if (restoration.cancelled) add('earned', cancelDay, -restoration.points);
              else if (restoration.expired) add('expired', cancelDay, restoration.points);
            }
            return;
          case 'blocked':
            return;
        }
      }
    }
  },
};
