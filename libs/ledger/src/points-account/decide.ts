import { LedgerError } from '../errors';
import type {
  Allocation,
  PointsAccountEvent,
  PointsActivated,
  PointsAdded,
  PointsCancelled,
  PointsExpired,
  PointsSpent,
  Restoration,
} from '../events';
import { MAX_POINTS_HUNDREDTHS, formatPoints, toDecimal, type Hundredths } from '../points';
import type {
  ActivateDueLots,
  ActivateLot,
  AccountToOpen,
  AddPoints,
  BlockPoints,
  CancelTransfer,
  CloseAccount,
  ExpireDueLots,
  ExpireLot,
  OpenAccount,
  PointsAccountCommand,
  ReceiveP2P,
  ResetAndAddPoints,
  ResetPoints,
  SendP2P,
  SpendPoints,
} from './commands';
import {
  evolve,
  findBlock,
  findLot,
  findSpending,
  type Lot,
  type OpenPointsAccount,
  type PointsAccountState,
} from './fold';

/**
 * One function per command: the events it yields, `[]` when it changes nothing, or a LedgerError.
 * Pure and deterministic: time and new ids come in the command.
 */

export function decide(command: PointsAccountCommand, state: PointsAccountState): PointsAccountEvent[] {
  switch (command.type) {
    case 'OpenAccount':
      return openAccount(command, state);
    case 'CloseAccount':
      return closeAccount(command, state);
    case 'AddPoints':
      return addPoints(command, state);
    case 'SpendPoints':
      return spendPoints(command, state);
    case 'BlockPoints':
      return blockPoints(command, state);
    case 'CancelTransfer':
      return cancelTransfer(command, state);
    case 'ActivateLot':
      return activateLot(command, state);
    case 'ExpireLot':
      return expireLot(command, state);
    case 'ExpireDueLots':
      return expireDueLots(command, state);
    case 'ActivateDueLots':
      return activateDueLots(command, state);
    case 'ResetPoints':
      return resetPoints(command, state);
    case 'ResetAndAddPoints':
      return resetAndAddPoints(command, state);
    case 'SendP2P':
      return sendP2P(command, state);
    case 'ReceiveP2P':
      return receiveP2P(command, state);
  }
}

/** Opening an open account changes nothing; opening a closed one reopens it, empty (its old lots stay closed with it). */
export function openAccount(command: OpenAccount, state: PointsAccountState): PointsAccountEvent[] {
  if (state.status === 'open') return [];
  const { accountId, tenant, storeCode, customerId, now } = command.data;
  instant(now, 'now');
  return [{ type: 'AccountOpened', data: { accountId, tenant, storeCode, customerId, openedAt: now } }];
}

export function closeAccount(command: CloseAccount, state: PointsAccountState): PointsAccountEvent[] {
  requireOpen(state);
  instant(command.data.now, 'now');
  return [{ type: 'AccountClosed', data: { closedAt: command.data.now } }];
}

export function addPoints(command: AddPoints, state: PointsAccountState): PointsAccountEvent[] {
  const d = command.data;
  const opening = openIfAllowed(state, d.openAccount, d.now);
  requireOpen(opening.reduce(evolve, state));
  requireNewTransferId(state, d.transferId);
  requirePoints(d.points);
  const now = instant(d.now, 'now');
  if (d.state === 'active' && d.activatesAt !== undefined) {
    throw new LedgerError('invalid_lot_dates', 'activatesAt is only for pending lots');
  }
  const activatesAt = d.activatesAt === undefined ? undefined : instant(d.activatesAt, 'activatesAt');
  if (d.expiresAt !== undefined) {
    const expiresAt = instant(d.expiresAt, 'expiresAt');
    // A lot must be spendable for some time, or it is expired on arrival.
    if (expiresAt <= Math.max(now, activatesAt ?? now)) {
      throw new LedgerError('invalid_lot_dates', 'expiresAt must be after the moment the points become active', {
        expiresAt: d.expiresAt,
        activatesAt: d.activatesAt ?? d.now,
      });
    }
  }
  requireBusinessTime(d.occurredAt, now);
  const added: PointsAdded = {
    type: 'PointsAdded',
    data: {
      transferId: d.transferId,
      type: 'adding',
      points: d.points,
      state: d.state,
      createdAt: d.now,
      ...optional({
        occurredAt: d.occurredAt,
        activatesAt: d.activatesAt,
        expiresAt: d.expiresAt,
        comment: d.comment,
        reason: d.reason,
        customerReason: d.customerReason,
        referenceId: d.referenceId,
        transactionId: d.transactionId,
      }),
    },
  };
  return [...opening, added];
}

export function spendPoints(command: SpendPoints, state: PointsAccountState): PointsAccountEvent[] {
  const d = command.data;
  requireOpen(state);
  requireNewTransferId(state, d.transferId);
  requirePoints(d.points);
  const at = instant(d.now, 'now');
  requireBusinessTime(d.occurredAt, at);
  const due = dueEvents(state, at, d.now);
  const settled = due.reduce(evolve, state);
  requireAvailable(settled, d.points);
  const spent: PointsSpent = {
    type: 'PointsSpent',
    data: {
      transferId: d.transferId,
      type: 'spending',
      points: d.points,
      allocations: allocate(settled, d.points, false),
      createdAt: d.now,
      ...optional({
        occurredAt: d.occurredAt,
        comment: d.comment,
        reason: d.reason,
        customerReason: d.customerReason,
        referenceId: d.referenceId,
        transactionId: d.transactionId,
      }),
    },
  };
  return [...due, spent];
}

export function blockPoints(command: BlockPoints, state: PointsAccountState): PointsAccountEvent[] {
  const d = command.data;
  requireOpen(state);
  requireNewTransferId(state, d.transferId);
  requirePoints(d.points);
  const due = dueEvents(state, instant(d.now, 'now'), d.now);
  requireAvailable(due.reduce(evolve, state), d.points);
  return [
    ...due,
    {
      type: 'PointsBlocked',
      data: {
        transferId: d.transferId,
        points: d.points,
        createdAt: d.now,
        ...optional({ comment: d.comment, reason: d.reason, referenceId: d.referenceId }),
      },
    },
  ];
}

export function cancelTransfer(command: CancelTransfer, state: PointsAccountState): PointsAccountEvent[] {
  const { transferId, now } = command.data;
  requireOpen(state);
  instant(now, 'now');
  const lot = findLot(state, transferId);
  if (lot) {
    if (lot.state === 'cancelled') throw alreadyCancelled(transferId);
    if (lot.type === 'p2p_adding') throw p2pNotCancellable(transferId);
    if (lot.state === 'expired') {
      throw new LedgerError('transfer_expired', `transfer ${transferId} has expired and cannot be cancelled`);
    }
    return [cancelled(transferId, lot.remaining, lot.type, now)];
  }
  const spending = findSpending(state, transferId);
  if (spending) {
    if (spending.state === 'cancelled') throw alreadyCancelled(transferId);
    if (spending.type === 'p2p_spending') throw p2pNotCancellable(transferId);
    const restored = spending.allocations.map((allocation): Restoration => {
      const target = findLot(state, allocation.lotId);
      return {
        lotId: allocation.lotId,
        points: allocation.points,
        expired: target?.state === 'expired',
        ...(target?.state === 'cancelled' && { cancelled: true }),
      };
    });
    return [
      {
        type: 'PointsCancelled',
        data: { transferId, points: spending.points, cancelledType: spending.type, restored, cancelledAt: now },
      },
    ];
  }
  const block = findBlock(state, transferId);
  if (block) {
    if (block.state === 'cancelled') throw alreadyCancelled(transferId);
    return [cancelled(transferId, block.points, 'blocked', now)];
  }
  throw notFound(transferId);
}

export function activateLot(command: ActivateLot, state: PointsAccountState): PointsAccountEvent[] {
  const { transferId, now, trigger = 'manual' } = command.data;
  requireOpen(state);
  const at = instant(now, 'now');
  const lot = requireTransferIsLot(state, transferId);
  if (trigger === 'scheduled') {
    const due = lot?.state === 'pending' && lot.activatesAt !== undefined && Date.parse(lot.activatesAt) <= at;
    return due ? [activated(lot, now)] : [];
  }
  if (!lot || lot.state !== 'pending') {
    throw new LedgerError('transfer_not_pending', `transfer ${transferId} is not a pending lot`, {
      state: lot?.state ?? 'not_a_lot',
    });
  }
  return [activated(lot, now)];
}

export function expireLot(command: ExpireLot, state: PointsAccountState): PointsAccountEvent[] {
  const { transferId, now, trigger = 'manual' } = command.data;
  requireOpen(state);
  const at = instant(now, 'now');
  const lot = requireTransferIsLot(state, transferId);
  if (trigger === 'scheduled') {
    const due = lot?.state === 'active' && lot.expiresAt !== undefined && Date.parse(lot.expiresAt) <= at;
    return due ? [expired(lot, now)] : [];
  }
  if (!lot || lot.state !== 'active') {
    throw new LedgerError('transfer_not_active', `transfer ${transferId} is not an active lot`, {
      state: lot?.state ?? 'not_a_lot',
    });
  }
  return [expired(lot, now)];
}

export function expireDueLots(command: ExpireDueLots, state: PointsAccountState): PointsAccountEvent[] {
  requireOpen(state);
  const at = instant(command.data.now, 'now');
  return dueExpiries(state, at, command.data.now);
}

export function activateDueLots(command: ActivateDueLots, state: PointsAccountState): PointsAccountEvent[] {
  requireOpen(state);
  const at = instant(command.data.now, 'now');
  return dueActivations(state, at, command.data.now);
}

export function resetPoints(command: ResetPoints, state: PointsAccountState): PointsAccountEvent[] {
  requireOpen(state);
  instant(command.data.now, 'now');
  return state.lots
    .filter((lot) => lot.state === 'active' || lot.state === 'pending')
    .map((lot) => expired(lot, command.data.now));
}

/** Every active and pending lot expires, then one active lot of `points` opens (opening the account when allowed). */
export function resetAndAddPoints(command: ResetAndAddPoints, state: PointsAccountState): PointsAccountEvent[] {
  const { openAccount: toOpen, ...lot } = command.data;
  const opening = openIfAllowed(state, toOpen, lot.now);
  const opened = opening.reduce(evolve, state);
  const reset = resetPoints({ type: 'ResetPoints', data: { now: lot.now } }, opened);
  const added = addPoints({ type: 'AddPoints', data: { ...lot, state: 'active' } }, reset.reduce(evolve, opened));
  return [...opening, ...reset, ...added];
}

export function sendP2P(command: SendP2P, state: PointsAccountState): PointsAccountEvent[] {
  const d = command.data;
  requireOpen(state);
  refuseSelfTransfer(d.senderCustomerId, d.receiverCustomerId);
  // The same p2pId twice is a retry of the same transfer: spend once.
  if (state.spendings.some((spending) => spending.type === 'p2p_spending' && spending.p2pId === d.p2pId)) return [];
  requireNewTransferId(state, d.transferId);
  requirePoints(d.points);
  const due = dueEvents(state, instant(d.now, 'now'), d.now);
  const settled = due.reduce(evolve, state);
  requireAvailable(settled, d.points);
  const spent: PointsSpent = {
    type: 'PointsSpent',
    data: {
      transferId: d.transferId,
      type: 'p2p_spending',
      points: d.points,
      allocations: allocate(settled, d.points, true),
      createdAt: d.now,
      p2pId: d.p2pId,
      receiverCustomerId: d.receiverCustomerId,
      ...optional({ comment: d.comment }),
    },
  };
  return [...due, spent];
}

export function receiveP2P(command: ReceiveP2P, state: PointsAccountState): PointsAccountEvent[] {
  const d = command.data;
  const opening = openIfAllowed(state, d.openAccount, d.now);
  requireOpen(opening.reduce(evolve, state));
  refuseSelfTransfer(d.senderCustomerId, d.receiverCustomerId);
  instant(d.now, 'now');
  // Exactly-once: a process manager re-sending after a crash finds the p2pId already credited.
  if (state.lots.some((lot) => lot.type === 'p2p_adding' && lot.p2pId === d.p2pId)) return [];
  if (d.allocations.length === 0) throw new LedgerError('invalid_points', 'a p2p transfer needs at least one allocation');
  // Receiver lots keep the sender lots' expiry: one lot per distinct expiry, soonest first.
  const byExpiry = new Map<string | undefined, Hundredths>();
  for (const allocation of d.allocations) {
    requirePoints(allocation.points);
    if (allocation.expiresAt !== undefined) instant(allocation.expiresAt, 'expiresAt');
    byExpiry.set(allocation.expiresAt, (byExpiry.get(allocation.expiresAt) ?? 0) + allocation.points);
  }
  const groups = [...byExpiry.entries()].sort(([a], [b]) => expiryOrder(a) - expiryOrder(b));
  const lots = groups.map(([expiresAt, points], index): PointsAdded => {
    const transferId = index === 0 ? d.transferId : `${d.transferId}-${index + 1}`;
    requireNewTransferId(state, transferId);
    requirePoints(points);
    return {
      type: 'PointsAdded',
      data: {
        transferId,
        type: 'p2p_adding',
        points,
        state: 'active',
        createdAt: d.now,
        p2pId: d.p2pId,
        senderCustomerId: d.senderCustomerId,
        ...optional({ expiresAt, comment: d.comment }),
      },
    };
  });
  return [...opening, ...lots];
}

/**
 * Spend order: active lots soonest-expiring first (no expiry last), then oldest first; ties keep
 * the order the lots were added in (Array.prototype.sort is stable).
 */
export function spendingOrder(state: PointsAccountState): Lot[] {
  return state.lots
    .filter((lot) => lot.state === 'active' && lot.remaining > 0)
    .sort(
      (a, b) =>
        expiryOrder(a.expiresAt) - expiryOrder(b.expiresAt) || Date.parse(a.createdAt) - Date.parse(b.createdAt),
    );
}

function allocate(state: PointsAccountState, points: Hundredths, withExpiry: boolean): Allocation[] {
  const allocations: Allocation[] = [];
  let left = points;
  for (const lot of spendingOrder(state)) {
    if (left === 0) break;
    const taken = Math.min(left, lot.remaining);
    allocations.push({
      lotId: lot.id,
      points: taken,
      // Only p2p needs the expiry: the receiver's lots keep it.
      ...(withExpiry && lot.expiresAt !== undefined && { expiresAt: lot.expiresAt }),
    });
    left -= taken;
  }
  return allocations;
}

/** What the scheduler would do by `now`: due activations first, then due expiries (of the result). */
function dueEvents(state: PointsAccountState, at: number, now: string): PointsAccountEvent[] {
  const activations = dueActivations(state, at, now);
  return [...activations, ...dueExpiries(activations.reduce(evolve, state), at, now)];
}

function dueActivations(state: PointsAccountState, at: number, now: string): PointsActivated[] {
  return state.lots
    .filter((lot) => lot.state === 'pending' && lot.activatesAt !== undefined && Date.parse(lot.activatesAt) <= at)
    .map((lot) => activated(lot, now));
}

function dueExpiries(state: PointsAccountState, at: number, now: string): PointsExpired[] {
  return state.lots
    .filter((lot) => lot.state === 'active' && lot.expiresAt !== undefined && Date.parse(lot.expiresAt) <= at)
    .map((lot) => expired(lot, now));
}

function activated(lot: Lot, now: string): PointsActivated {
  return { type: 'PointsActivated', data: { transferId: lot.id, points: lot.remaining, activatedAt: now } };
}

function expired(lot: Lot, now: string): PointsExpired {
  return { type: 'PointsExpired', data: { lotId: lot.id, points: lot.remaining, expiredAt: now } };
}

function cancelled(
  transferId: string,
  points: Hundredths,
  cancelledType: PointsCancelled['data']['cancelledType'],
  now: string,
): PointsCancelled {
  return { type: 'PointsCancelled', data: { transferId, points, cancelledType, cancelledAt: now } };
}

function expiryOrder(expiresAt: string | undefined): number {
  return expiresAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(expiresAt);
}

/** AccountOpened when the caller may open the account on first credit and it does not exist yet. */
function openIfAllowed(state: PointsAccountState, account: AccountToOpen | undefined, now: string): PointsAccountEvent[] {
  if (!account || state.status !== 'unopened') return [];
  return openAccount({ type: 'OpenAccount', data: { ...account, now } }, state);
}

function refuseClosed(state: PointsAccountState): void {
  if (state.status === 'closed') throw new LedgerError('account_closed', 'the points account is closed');
}

function requireOpen(state: PointsAccountState): asserts state is OpenPointsAccount {
  refuseClosed(state);
  if (state.status !== 'open') throw new LedgerError('account_not_found', 'the points account does not exist');
}

function requireNewTransferId(state: PointsAccountState, transferId: string): void {
  if (findLot(state, transferId) || findSpending(state, transferId) || findBlock(state, transferId)) {
    throw new LedgerError('transfer_already_exists', `transfer ${transferId} already exists`);
  }
}

/** Returns the lot, undefined when the id names a spending or block, throws when it names nothing. */
function requireTransferIsLot(state: PointsAccountState, transferId: string): Lot | undefined {
  const lot = findLot(state, transferId);
  if (lot) return lot;
  if (findSpending(state, transferId) || findBlock(state, transferId)) return undefined;
  throw notFound(transferId);
}

function requirePoints(points: Hundredths): void {
  if (!Number.isSafeInteger(points) || points <= 0 || points > MAX_POINTS_HUNDREDTHS) {
    // details speak points, as the message and the public APIs do; hundredths stay inside
    throw new LedgerError('invalid_points', 'points must be a whole number of hundredths between 0.01 and 999999999', {
      points: toDecimal(points),
    });
  }
}

function requireAvailable(state: PointsAccountState, points: Hundredths): void {
  const { available } = state.balance;
  if (points > available) {
    throw new LedgerError(
      'insufficient_points',
      `not enough points: ${formatPoints(available)} available, ${formatPoints(points)} requested`,
      { available: toDecimal(available), requested: toDecimal(points) },
    );
  }
}

function refuseSelfTransfer(senderCustomerId: string, receiverCustomerId: string): void {
  if (senderCustomerId === receiverCustomerId) {
    throw new LedgerError('p2p_to_self', 'points cannot be transferred to oneself');
  }
}

/** A client's business time is kept for the record only, so it may lie in the past but never after the recording. */
function requireBusinessTime(occurredAt: string | undefined, now: number): void {
  if (occurredAt === undefined) return;
  if (instant(occurredAt, 'occurredAt') > now) {
    throw new LedgerError('invalid_lot_dates', 'occurredAt must not be in the future', { occurredAt });
  }
}

/** Epoch milliseconds of an ISO-8601 instant; commands are validated at the edge, this is the last guard. */
function instant(iso: string, field: string): number {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) throw new LedgerError('invalid_lot_dates', `${field} is not a valid date: ${iso}`);
  return at;
}

function alreadyCancelled(transferId: string): LedgerError {
  return new LedgerError('transfer_already_cancelled', `transfer ${transferId} is already cancelled`);
}

function p2pNotCancellable(transferId: string): LedgerError {
  return new LedgerError(
    'p2p_not_cancellable',
    `transfer ${transferId} is peer-to-peer and cannot be cancelled one side at a time`,
  );
}

function notFound(transferId: string): LedgerError {
  return new LedgerError('transfer_not_found', `transfer ${transferId} not found`);
}

/** Drops undefined fields so events hold only what was given (and compare equal after a JSON round trip). */
function optional<T extends Record<string, unknown>>(fields: T): Partial<T> {
  const present: Partial<T> = {};
  for (const key of Object.keys(fields) as (keyof T)[]) {
    if (fields[key] !== undefined) present[key] = fields[key];
  }
  return present;
}
