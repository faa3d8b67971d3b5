import { Inject, Injectable } from '@nestjs/common';
import type { EventStore } from '@app/event-store';
import {
  AccountKey,
  AddingType,
  Balance,
  Clock,
  DAY_MS,
  evolve,
  Hundredths,
  initialState,
  LedgerError,
  PointsAccountEvent,
  PointsAccountState,
  pointsAccountStream,
  SpendingType,
} from '@app/ledger';
import { rollUpHistogram } from '@app/read-models';
import type {
  AccountCursor,
  AccountSummary,
  HistogramInterval,
  HistogramPointType,
  ReadModelQueries,
  TransferList,
  TransferListQuery,
  TransferRow,
} from '@app/read-models';
import { ProgressTracker } from '../progress-tracker';
import { CLOCK, EVENT_STORE, READ_MODELS } from '../tokens';
import type { StoreRef } from '../points/points.service';

/** An account's figures (integer hundredths) and what of them expires within the next 30 days. */
export interface PointsSummary extends AccountSummary {
  expiringIn30Days: Hundredths;
}

export interface HistogramRequest {
  interval: HistogramInterval;
  /** days up to and including today */
  lastDays: number;
  /** days after today: scheduled expiries (expired) and activations (pending) */
  futureDays: number;
  pointType: HistogramPointType;
}

export type EntryKind = 'added' | 'activated' | 'spent' | 'blocked' | 'expired' | 'cancelled';

/** One change of an account, as its event says, with the balance right after it. */
export interface AccountEntry {
  /** the transfer the entry is (a lot, a spending, a block); for `expired` and `activated`, the lot */
  transferId: string;
  kind: EntryKind;
  /** for added and spent entries: which kind of transfer */
  transferType?: AddingType | SpendingType;
  points: Hundredths;
  /** business time of the change: the client's reported `occurredAt` if any, else when it was recorded (the ledger order is `position`) */
  at: string;
  position: number;
  expiresAt?: string;
  referenceId?: string;
  comment?: string;
  /** internal; never show it to a customer */
  reason?: string;
  customerReason?: string;
  balance: Balance;
  /** added entries: what has become of the lot since */
  lot?: { remaining: Hundredths; used: Hundredths; usedWith: string[]; state: string };
}

/**
 * Every read the API dialects make of points: summaries, pages of summaries, listings, the histogram
 * and an account's history. Each waits until the projections have applied what this process appended
 * (read-your-writes), so no caller can forget to.
 */
@Injectable()
export class PointsQueries {
  constructor(
    private readonly progress: ProgressTracker,
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The account's summary; LedgerError account_not_found when the customer has no (open) account in the store. */
  async summary(account: AccountKey): Promise<PointsSummary> {
    await this.progress.caughtUp();
    const { tenant, storeCode, customerId } = account;
    const found = await this.views.accounts.account(tenant, storeCode, customerId);
    if (!found) throw new LedgerError('account_not_found', `customer ${customerId} has no points account in store ${storeCode}`, { customerId });
    const now = this.clock.now();
    const expiringIn30Days = await this.views.lots.expiringBetween(tenant, storeCode, customerId, now.toISOString(), new Date(now.getTime() + 30 * DAY_MS).toISOString());
    return { ...found, expiringIn30Days };
  }

  /** Open accounts of a store (or of every store of the tenant) in (store, customer) order, after a cursor. */
  async summaries(query: { tenant: string; storeCode?: string; after?: AccountCursor; limit: number }): Promise<AccountSummary[]> {
    await this.progress.caughtUp();
    return this.views.accounts.page(query);
  }

  async transfers(query: TransferListQuery): Promise<TransferList> {
    await this.progress.caughtUp();
    return this.views.transfers.list(query);
  }

  async transfer(store: StoreRef, transferId: string): Promise<TransferRow | undefined> {
    await this.progress.caughtUp();
    return this.views.transfers.byId(store.tenant, store.storeCode, transferId);
  }

  /** Points per day, month or year (hundredths), every period of the range present; futureDays from scheduled lots. */
  async histogram(store: StoreRef, request: HistogramRequest): Promise<Record<string, Hundredths>> {
    const { interval, lastDays, futureDays, pointType } = request;
    await this.progress.caughtUp();
    const now = this.clock.now().getTime();
    const today = utcDay(now);
    const fromDay = utcDay(now - (lastDays - 1) * DAY_MS);
    const toDay = utcDay(now + futureDays * DAY_MS);
    const days = await this.views.histogram.days(store.tenant, store.storeCode, pointType, fromDay, today);
    if (futureDays > 0 && (pointType === 'expired' || pointType === 'pending')) {
      const kind = pointType === 'expired' ? 'expiry' : 'activation';
      const scheduled = await this.views.lots.scheduledPerDay(store.tenant, store.storeCode, kind, utcDay(now + DAY_MS), toDay);
      for (const [day, points] of Object.entries(scheduled)) days[day] = (days[day] ?? 0) + points;
    }
    return rollUpHistogram(days, interval, fromDay, toDay);
  }

  /**
   * The account's changes in ledger order, each with the balance after it, read from its event stream
   * (the source of truth, so nothing waits for projections). A closed and reopened account shows its
   * current life only.
   */
  async history(account: AccountKey): Promise<AccountEntry[]> {
    const stored = await this.events.readStream(pointsAccountStream(account));
    let state: PointsAccountState = initialState();
    let entries: AccountEntry[] = [];
    for (const record of stored) {
      const event = { type: record.type, data: record.data } as PointsAccountEvent;
      state = evolve(state, event);
      if (event.type === 'AccountClosed') entries = [];
      const entry = entryOf(event);
      if (entry) entries.push({ ...entry, position: record.position, balance: state.balance });
    }
    return entries.map((entry) => (entry.kind === 'added' ? { ...entry, lot: lotOutcome(state, entry.transferId) } : entry));
  }
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

type EntryOf = Omit<AccountEntry, 'position' | 'balance'>;

function details(data: { referenceId?: string; comment?: string; reason?: string; customerReason?: string }) {
  const { referenceId, comment, reason, customerReason } = data;
  return {
    ...(referenceId !== undefined ? { referenceId } : {}),
    ...(comment !== undefined ? { comment } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(customerReason !== undefined ? { customerReason } : {}),
  };
}

function entryOf(event: PointsAccountEvent): EntryOf | undefined {
  switch (event.type) {
    case 'PointsAdded': {
      const d = event.data;
      return { transferId: d.transferId, kind: 'added', transferType: d.type, points: d.points, at: d.occurredAt ?? d.createdAt, ...(d.expiresAt ? { expiresAt: d.expiresAt } : {}), ...details(d) };
    }
    case 'PointsSpent': {
      const d = event.data;
      return { transferId: d.transferId, kind: 'spent', transferType: d.type, points: d.points, at: d.occurredAt ?? d.createdAt, ...details(d) };
    }
    case 'PointsBlocked':
      return { transferId: event.data.transferId, kind: 'blocked', points: event.data.points, at: event.data.createdAt, ...details(event.data) };
    case 'PointsActivated':
      return { transferId: event.data.transferId, kind: 'activated', points: event.data.points, at: event.data.activatedAt };
    case 'PointsExpired':
      return { transferId: event.data.lotId, kind: 'expired', points: event.data.points, at: event.data.expiredAt };
    case 'PointsCancelled':
      return { transferId: event.data.transferId, kind: 'cancelled', points: event.data.points, at: event.data.cancelledAt };
    default:
      return undefined;
  }
}

/** What became of a lot: its remaining points, the points spendings took from it and those spendings. */
function lotOutcome(state: PointsAccountState, lotId: string): AccountEntry['lot'] {
  const lot = state.lots.find((candidate) => candidate.id === lotId);
  if (!lot) return undefined;
  const usedWith = state.spendings.filter((s) => s.state === 'active' && s.allocations.some((a) => a.lotId === lotId)).map((s) => s.id);
  return { remaining: lot.remaining, used: lot.points - lot.remaining - lot.expired - lot.cancelled, usedWith, state: lot.state };
}

/** What the dialects need to name of the read side; they never import the read models themselves. */
export { TRANSFER_SORT_FIELDS, TRANSFERS_RESULT_WINDOW } from '@app/read-models';
export type {
  AccountCursor,
  AccountSummary,
  CustomerLookupField,
  CustomerRecord,
  HistogramInterval,
  HistogramPointType,
  TransferList,
  TransferListQuery,
  TransferRow,
  TransferSort,
  TransferState,
  TransferType,
} from '@app/read-models';
