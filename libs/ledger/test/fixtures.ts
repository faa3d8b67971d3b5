import { DAY_MS } from '../src/clock';
import type {
  AccountOpened,
  Allocation,
  PointsAdded,
  PointsBlocked,
  PointsExpired,
  PointsSpent,
} from '../src/events';
import type { Hundredths } from '../src/points';

/** Scenario time: day(0) is the start, day(n) n days later, all UTC ISO strings. */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const day = (n: number): string => new Date(T0 + n * DAY_MS).toISOString();

export const account = { accountId: 'acc-1', tenant: 'acme', storeCode: 'web', customerId: 'alice' };

export const opened: AccountOpened = { type: 'AccountOpened', data: { ...account, openedAt: day(0) } };

export function added(
  transferId: string,
  points: Hundredths,
  extra: Partial<PointsAdded['data']> = {},
): PointsAdded {
  return {
    type: 'PointsAdded',
    data: { transferId, type: 'adding', points, state: 'active', createdAt: day(0), ...extra },
  };
}

export function spent(
  transferId: string,
  points: Hundredths,
  allocations: Allocation[],
  extra: Partial<PointsSpent['data']> = {},
): PointsSpent {
  return { type: 'PointsSpent', data: { transferId, type: 'spending', points, allocations, createdAt: day(1), ...extra } };
}

export function blocked(transferId: string, points: Hundredths, createdAt = day(1)): PointsBlocked {
  return { type: 'PointsBlocked', data: { transferId, points, createdAt } };
}

export function expired(lotId: string, points: Hundredths, expiredAt: string): PointsExpired {
  return { type: 'PointsExpired', data: { lotId, points, expiredAt } };
}
