import type { Command } from '../decider';
import type { Allocation, LotState } from '../events';
import type { Hundredths } from '../points';

/**
 * What a caller asks of one points account. Every command carries `now` (ISO-8601, from the
 * clock) and the ids it will create, so `decide` is deterministic and can be re-run on a retry.
 */

/** Enough to open the account in the same decision, for stores that open accounts on first add. */
export interface AccountToOpen {
  accountId: string;
  tenant: string;
  storeCode: string;
  customerId: string;
}

export type OpenAccount = Command<'OpenAccount', AccountToOpen & { now: string }>;

export type CloseAccount = Command<'CloseAccount', { now: string }>;

export type AddPoints = Command<
  'AddPoints',
  {
    transferId: string;
    points: Hundredths;
    state: LotState;
    now: string;
    /** business time a client reports (e.g. an order placed earlier); shown only, never orders the ledger */
    occurredAt?: string;
    /** pending lots only: when the scheduler activates it; absent means manual activation */
    activatesAt?: string;
    expiresAt?: string;
    comment?: string;
    reason?: string;
    customerReason?: string;
    referenceId?: string;
    transactionId?: string;
    /** given when the store opens accounts on first add and this one may not exist yet */
    openAccount?: AccountToOpen;
  }
>;

export type SpendPoints = Command<
  'SpendPoints',
  {
    transferId: string;
    points: Hundredths;
    now: string;
    /** business time a client reports; shown only, never orders the ledger */
    occurredAt?: string;
    comment?: string;
    reason?: string;
    customerReason?: string;
    referenceId?: string;
    transactionId?: string;
  }
>;

export type BlockPoints = Command<
  'BlockPoints',
  { transferId: string; points: Hundredths; now: string; comment?: string; reason?: string; referenceId?: string }
>;

/** Cancels an adding lot, a spending or a block, found by its transfer id. */
export type CancelTransfer = Command<'CancelTransfer', { transferId: string; now: string }>;

/**
 * `manual` refuses a lot that is not pending; `scheduled` (the scheduler acting on a due time it
 * read earlier) quietly does nothing when the lot is no longer pending or not yet due.
 */
export type Trigger = 'manual' | 'scheduled';

export type ActivateLot = Command<'ActivateLot', { transferId: string; now: string; trigger?: Trigger }>;

export type ExpireLot = Command<'ExpireLot', { transferId: string; now: string; trigger?: Trigger }>;

/** Scheduler: expire every active lot whose expiresAt <= now. */
export type ExpireDueLots = Command<'ExpireDueLots', { now: string }>;

/** Scheduler: activate every pending lot whose activatesAt <= now. */
export type ActivateDueLots = Command<'ActivateDueLots', { now: string }>;

/** Salla reset_points: expires every active and pending lot. */
export type ResetPoints = Command<'ResetPoints', { now: string }>;

/**
 * Salla reset_points with points: the account starts over at exactly `points`. One decision, so the
 * reset and the new lot are stored together or not at all (never a reset account missing its points).
 */
export type ResetAndAddPoints = Command<
  'ResetAndAddPoints',
  {
    transferId: string;
    points: Hundredths;
    now: string;
    expiresAt?: string;
    comment?: string;
    reason?: string;
    customerReason?: string;
    referenceId?: string;
    transactionId?: string;
    openAccount?: AccountToOpen;
  }
>;

/** Sender side of a peer-to-peer transfer: a p2p_spending linked to the receiver by p2pId. */
export type SendP2P = Command<
  'SendP2P',
  {
    transferId: string;
    p2pId: string;
    points: Hundredths;
    senderCustomerId: string;
    receiverCustomerId: string;
    now: string;
    comment?: string;
  }
>;

/**
 * Receiver side: credits the sender's allocations (with their expiries) as p2p_adding lots.
 * The first lot gets `transferId`, further ones `${transferId}-2`, `${transferId}-3`, ...
 */
export type ReceiveP2P = Command<
  'ReceiveP2P',
  {
    transferId: string;
    p2pId: string;
    senderCustomerId: string;
    receiverCustomerId: string;
    /** the allocations of the sender's PointsSpent event */
    allocations: readonly Allocation[];
    now: string;
    comment?: string;
    openAccount?: AccountToOpen;
  }
>;

export type PointsAccountCommand =
  | OpenAccount
  | CloseAccount
  | AddPoints
  | SpendPoints
  | BlockPoints
  | CancelTransfer
  | ActivateLot
  | ExpireLot
  | ExpireDueLots
  | ActivateDueLots
  | ResetPoints
  | ResetAndAddPoints
  | SendP2P
  | ReceiveP2P;
