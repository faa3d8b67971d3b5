import type { AccountEntry } from '@app/engine';
import { toDecimal } from '@app/ledger';
import type { AddedPointsOut, PointsSummaryOut, RedeemedPointsOut } from './reward-points.dto';

/**
 * An account's history as Emporix's summary: every lot added (with what has been redeemed from it)
 * and every redemption still standing. Emporix has no cancel; a spending another API cancelled is
 * left out, as the lots' `usedWith` leaves it out.
 */
export function summaryOf(customerId: string, entries: readonly AccountEntry[], siteCode?: string): PointsSummaryOut {
  const cancelled = new Set(entries.filter((entry) => entry.kind === 'cancelled').map((entry) => entry.transferId));
  const addedPointsList: AddedPointsOut[] = [];
  const redeemedPointsList: RedeemedPointsOut[] = [];
  for (const entry of entries) {
    if (entry.kind === 'added') {
      addedPointsList.push({
        id: entry.transferId,
        'reference-id': entry.referenceId ?? null,
        ...(entry.comment !== undefined ? { description: entry.comment } : {}),
        points: toDecimal(entry.points),
        createdAt: entry.at,
        ...(entry.expiresAt !== undefined ? { validUntil: entry.expiresAt } : {}),
        allPointsAfterCreation: toDecimal(entry.balance.available),
        usedPoints: toDecimal(entry.lot?.used ?? 0),
        usedWith: entry.lot?.usedWith ?? [],
      });
    } else if (entry.kind === 'spent' && !cancelled.has(entry.transferId)) {
      redeemedPointsList.push({
        id: entry.transferId,
        ...(entry.comment !== undefined ? { description: entry.comment } : {}),
        points: toDecimal(entry.points),
        createdAt: entry.at,
        allPointsAfterCreation: toDecimal(entry.balance.available),
      });
    }
  }
  return {
    customerId,
    ...(siteCode !== undefined ? { siteCode } : {}),
    activePoints: activePointsOf(entries),
    summary: { addedPointsList, redeemedPointsList },
  };
}

/** What can be redeemed now: the balance after the account's last change (0 for an account with none). */
export function activePointsOf(entries: readonly AccountEntry[]): number {
  return toDecimal(entries.at(-1)?.balance.available ?? 0);
}
