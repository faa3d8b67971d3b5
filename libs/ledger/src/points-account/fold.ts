import type {
  AccountOpened,
  AddingType,
  Allocation,
  PointsAccountEvent,
  PointsAdded,
  PointsCancelled,
  PointsSpent,
  SpendingType,
} from '../events';
import type { Hundredths } from '../points';

/** A lot's life: pending -> active -> expired, or cancelled from pending or active. */
export type LotStatus = 'active' | 'pending' | 'expired' | 'cancelled';

export interface Lot {
  readonly id: string;
  readonly type: AddingType;
  /** the amount the lot was added with */
  readonly points: Hundredths;
  /** what can still be spent (active) or will become spendable (pending) */
  readonly remaining: Hundredths;
  readonly state: LotStatus;
  readonly createdAt: string;
  readonly activatesAt?: string;
  readonly expiresAt?: string;
  /** true once the lot has been active: a pending lot that never activated was never earned */
  readonly activated: boolean;
  /** points that expired from this lot, including spendings later restored as expired */
  readonly expired: Hundredths;
  /** points removed by cancelling this lot, including spendings later restored to it */
  readonly cancelled: Hundredths;
  readonly p2pId?: string;
  readonly senderCustomerId?: string;
}

export type TransferStatus = 'active' | 'cancelled';

export interface Spending {
  readonly id: string;
  readonly type: SpendingType;
  readonly points: Hundredths;
  readonly allocations: readonly Allocation[];
  readonly state: TransferStatus;
  readonly createdAt: string;
  readonly p2pId?: string;
  readonly receiverCustomerId?: string;
}

export interface Block {
  readonly id: string;
  readonly points: Hundredths;
  readonly state: TransferStatus;
  readonly createdAt: string;
}

/** The figures an account summary shows; all integer hundredths. */
export interface Balance {
  /** active remaining minus active blocks, never below zero */
  readonly available: Hundredths;
  /** sum of remaining of active lots (blocks not subtracted) */
  readonly active: Hundredths;
  /** sum of remaining of pending lots */
  readonly pending: Hundredths;
  /** sum of active blocks */
  readonly blocked: Hundredths;
  /** adding lots that became active, less what cancelling them removed */
  readonly earned: Hundredths;
  /** active spendings, p2p excluded */
  readonly spent: Hundredths;
  /** everything that expired, pending lots expired by a reset included */
  readonly expired: Hundredths;
  /** what cancelling adding lots removed */
  readonly cancelled: Hundredths;
  readonly p2pReceived: Hundredths;
  readonly p2pSent: Hundredths;
}

export interface AccountInfo {
  readonly accountId: string;
  readonly tenant: string;
  readonly storeCode: string;
  readonly customerId: string;
  readonly openedAt: string;
}

interface Ledger {
  /** in the order they were added, which breaks ties in spending order */
  readonly lots: readonly Lot[];
  readonly spendings: readonly Spending[];
  readonly blocks: readonly Block[];
  readonly balance: Balance;
}

export type PointsAccountState =
  | (Ledger & { readonly status: 'unopened' })
  | (Ledger & { readonly status: 'open'; readonly account: AccountInfo })
  | (Ledger & { readonly status: 'closed'; readonly account?: AccountInfo; readonly closedAt: string });

export type OpenPointsAccount = Extract<PointsAccountState, { status: 'open' }>;

const ZERO_BALANCE: Balance = {
  available: 0,
  active: 0,
  pending: 0,
  blocked: 0,
  earned: 0,
  spent: 0,
  expired: 0,
  cancelled: 0,
  p2pReceived: 0,
  p2pSent: 0,
};

export function initialState(): PointsAccountState {
  return { status: 'unopened', lots: [], spendings: [], blocks: [], balance: ZERO_BALANCE };
}

/** Pure: the same events always fold to the same state; no clock, no mutation of `state`. */
export function evolve(state: PointsAccountState, event: PointsAccountEvent): PointsAccountState {
  switch (event.type) {
    case 'AccountOpened':
      return opened(state, event);
    case 'AccountClosed':
      return { ...state, status: 'closed', closedAt: event.data.closedAt };
    case 'PointsAdded':
      return withLedger(state, { lots: [...state.lots, lotOf(event)] });
    case 'PointsActivated':
      return withLedger(state, {
        lots: updateLot(state.lots, event.data.transferId, (lot) => ({ ...lot, state: 'active', activated: true })),
      });
    case 'PointsSpent':
      return spent(state, event);
    case 'PointsBlocked':
      return withLedger(state, {
        blocks: [
          ...state.blocks,
          { id: event.data.transferId, points: event.data.points, state: 'active', createdAt: event.data.createdAt },
        ],
      });
    case 'PointsExpired':
      return withLedger(state, {
        lots: updateLot(state.lots, event.data.lotId, (lot) => ({
          ...lot,
          state: 'expired',
          remaining: lot.remaining - event.data.points,
          expired: lot.expired + event.data.points,
        })),
      });
    case 'PointsCancelled':
      return cancelled(state, event);
  }
}

/** Folds a whole stream from the beginning. */
export function fold(events: readonly PointsAccountEvent[], from: PointsAccountState = initialState()) {
  return events.reduce(evolve, from);
}

export function findLot(state: PointsAccountState, id: string): Lot | undefined {
  return state.lots.find((lot) => lot.id === id);
}

export function findSpending(state: PointsAccountState, id: string): Spending | undefined {
  return state.spendings.find((spending) => spending.id === id);
}

export function findBlock(state: PointsAccountState, id: string): Block | undefined {
  return state.blocks.find((block) => block.id === id);
}

function opened(state: PointsAccountState, event: AccountOpened): PointsAccountState {
  const { accountId, tenant, storeCode, customerId, openedAt } = event.data;
  // a reopened account starts at 0: what the closed one held stays behind in the stream
  const ledger = state.status === 'closed' ? initialState() : state;
  return { ...ledger, status: 'open', account: { accountId, tenant, storeCode, customerId, openedAt } };
}

function lotOf(event: PointsAdded): Lot {
  const d = event.data;
  return {
    id: d.transferId,
    type: d.type,
    points: d.points,
    remaining: d.points,
    state: d.state,
    createdAt: d.createdAt,
    ...(d.activatesAt !== undefined && { activatesAt: d.activatesAt }),
    ...(d.expiresAt !== undefined && { expiresAt: d.expiresAt }),
    activated: d.state === 'active',
    expired: 0,
    cancelled: 0,
    ...(d.p2pId !== undefined && { p2pId: d.p2pId }),
    ...(d.senderCustomerId !== undefined && { senderCustomerId: d.senderCustomerId }),
  };
}

function spent(state: PointsAccountState, event: PointsSpent): PointsAccountState {
  const d = event.data;
  let lots = state.lots;
  for (const allocation of d.allocations) {
    lots = updateLot(lots, allocation.lotId, (lot) => ({ ...lot, remaining: lot.remaining - allocation.points }));
  }
  const spending: Spending = {
    id: d.transferId,
    type: d.type,
    points: d.points,
    allocations: d.allocations,
    state: 'active',
    createdAt: d.createdAt,
    ...(d.p2pId !== undefined && { p2pId: d.p2pId }),
    ...(d.receiverCustomerId !== undefined && { receiverCustomerId: d.receiverCustomerId }),
  };
  return withLedger(state, { lots, spendings: [...state.spendings, spending] });
}

function cancelled(state: PointsAccountState, event: PointsCancelled): PointsAccountState {
  const d = event.data;
  switch (d.cancelledType) {
    case 'adding':
    case 'p2p_adding':
      return withLedger(state, {
        lots: updateLot(state.lots, d.transferId, (lot) => ({
          ...lot,
          state: 'cancelled',
          remaining: lot.remaining - d.points,
          cancelled: lot.cancelled + d.points,
        })),
      });
    case 'spending':
    case 'p2p_spending': {
      let lots = state.lots;
      for (const restored of d.restored ?? []) {
        lots = updateLot(lots, restored.lotId, (lot) =>
          restored.expired
            ? { ...lot, expired: lot.expired + restored.points }
            : restored.cancelled
              ? { ...lot, cancelled: lot.cancelled + restored.points }
              : { ...lot, remaining: lot.remaining + restored.points },
        );
      }
      const spendings = state.spendings.map((spending) =>
        spending.id === d.transferId ? { ...spending, state: 'cancelled' as const } : spending,
      );
      return withLedger(state, { lots, spendings });
    }
    case 'blocked':
      return withLedger(state, {
        blocks: state.blocks.map((block) =>
          block.id === d.transferId ? { ...block, state: 'cancelled' as const } : block,
        ),
      });
  }
}

function updateLot(lots: readonly Lot[], id: string, change: (lot: Lot) => Lot): readonly Lot[] {
  return lots.map((lot) => (lot.id === id ? change(lot) : lot));
}

/** Replaces part of the ledger and recomputes the figures from it, so they can never drift apart. */
function withLedger(state: PointsAccountState, change: Partial<Omit<Ledger, 'balance'>>): PointsAccountState {
  const next = { ...state, ...change };
  return { ...next, balance: balanceOf(next) };
}

export function balanceOf(ledger: Omit<Ledger, 'balance'>): Balance {
  let active = 0;
  let pending = 0;
  let earned = 0;
  let expired = 0;
  let cancelled = 0;
  let p2pReceived = 0;
  for (const lot of ledger.lots) {
    if (lot.state === 'active') active += lot.remaining;
    if (lot.state === 'pending') pending += lot.remaining;
    expired += lot.expired;
    cancelled += lot.cancelled;
    if (lot.type === 'adding' && lot.activated) earned += lot.points - lot.cancelled;
    if (lot.type === 'p2p_adding') p2pReceived += lot.points - lot.cancelled;
  }
  let spent = 0;
  let p2pSent = 0;
  for (const spending of ledger.spendings) {
    if (spending.state !== 'active') continue;
    if (spending.type === 'spending') spent += spending.points;
    else p2pSent += spending.points;
  }
  let blocked = 0;
  for (const block of ledger.blocks) if (block.state === 'active') blocked += block.points;
  return {
    available: Math.max(0, active - blocked),
    active,
    pending,
    blocked,
    earned,
    spent,
    expired,
    cancelled,
    p2pReceived,
    p2pSent,
  };
}
