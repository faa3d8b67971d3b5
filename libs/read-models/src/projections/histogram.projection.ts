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
 * equal the accounts view summed over the store's accounts:
 *   earned  = earned + p2pIn   (a lot counts on its created day, pending or not)
 *   spent   = spent + p2pOut   (on the spending's created day)
 *   expired = expired          (on the expiry day)
 *   pending = pending          (what is still pending, on the lot's created day)
 * Cancels correct the day the points were booked on, not the cancel day: a cancelled spending
 * subtracts from its spent day, a cancelled lot from its earned (and, if pending, pending) day.
 * Points a cancelled spending returns to an expired lot count as expired on the cancel day;
 * to a cancelled lot, they leave earned on the cancel day. Closing an account keeps its history.
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
        add('earned', day, data.points);
        if (data.state === 'pending') add('pending', day, data.points);
        return remember(data.transferId, day, data.state === 'pending');
      }
      case 'PointsActivated': {
        const data = dataOf(event, 'PointsActivated');
        const lot = recall(data.transferId);
        if (!lot) return;
        add('pending', lot.createdDay, -data.points);
        return ctx.change<HistogramTransferDocument>(HISTOGRAM_TRANSFERS, memoryId(data.transferId), event.position, (memory) =>
          memory ? { ...memory, pending: 0 } : undefined,
        );
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
            add('earned', booked?.createdDay ?? cancelDay, -data.points);
            if (booked?.pending) add('pending', booked.createdDay, -data.points);
            return;
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
