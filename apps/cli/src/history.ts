import type { Infrastructure } from '@app/engine';
import { evolve, formatPoints, initialState, PointsAccountEvent, pointsAccountStream, toDecimal } from '@app/ledger';

/** One event of an account and the balance it left. Points as the API shows them (decimals). */
export interface HistoryEntry {
  revision: number;
  position: number;
  recordedAt: string;
  type: string;
  /** the transfer or lot the event is about, when it is about one */
  transferId: string | null;
  /** the event's own amount, when it has one */
  points: number | null;
  issuer: string | null;
  balanceAfter: { available: number; pending: number; blocked: number; earned: number; spent: number; expired: number };
}

/** The account's events in order, each with the balance after it, folded by the ledger itself. */
export async function accountHistory(infrastructure: Infrastructure, tenant: string, storeCode: string, customerId: string): Promise<HistoryEntry[]> {
  const events = await infrastructure.eventStore.readStream(pointsAccountStream({ tenant, storeCode, customerId }));
  let state = initialState();
  return events.map((event) => {
    state = evolve(state, { type: event.type, data: event.data } as PointsAccountEvent);
    const data = event.data as { transferId?: string; lotId?: string; points?: number };
    const { available, pending, blocked, earned, spent, expired } = state.balance;
    return {
      revision: event.revision,
      position: event.position,
      recordedAt: event.recordedAt.toISOString(),
      type: event.type,
      transferId: data.transferId ?? data.lotId ?? null,
      points: typeof data.points === 'number' ? toDecimal(data.points) : null,
      issuer: typeof event.metadata.issuer === 'string' ? event.metadata.issuer : null,
      balanceAfter: {
        available: toDecimal(available),
        pending: toDecimal(pending),
        blocked: toDecimal(blocked),
        earned: toDecimal(earned),
        spent: toDecimal(spent),
        expired: toDecimal(expired),
      },
    };
  });
}

/** The history as an aligned text table. */
export function historyTable(entries: readonly HistoryEntry[]): string {
  const points = (value: number | null) => (value === null ? '' : formatPoints(Math.round(value * 100)));
  const rows = [
    ['#', 'recorded at', 'event', 'transfer', 'points', 'available', 'pending', 'blocked', 'issuer'],
    ...entries.map((entry) => [
      String(entry.revision),
      entry.recordedAt,
      entry.type,
      entry.transferId ?? '',
      points(entry.points),
      points(entry.balanceAfter.available),
      points(entry.balanceAfter.pending),
      points(entry.balanceAfter.blocked),
      entry.issuer ?? '',
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  // figures right-aligned, words left-aligned
  const numeric = new Set([0, 4, 5, 6, 7]);
  return rows.map((row) => row.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd()).join('\n');
}
