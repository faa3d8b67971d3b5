import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import {
  AccountKey,
  Clock,
  Hundredths,
  LedgerError,
  LotDateOverrides,
  PointsAccountCommand,
  PointsSpent,
  resolveLotDates,
} from '@app/ledger';
import type { ReadModelQueries } from '@app/read-models';
import { deterministicUuid } from '../ids';
import { ProgressTracker } from '../progress-tracker';
import { currentContext } from '../request-context';
import { StoreSettingsService } from '../store-settings.service';
import { CLOCK, READ_MODELS } from '../tokens';
import { AccountDecision, ExecuteOnPointsAccount, ExecuteOnPointsAccountHandler } from './execute-on-account';

export interface TransferDetails {
  /** the caller's own id for the transfer (e.g. Emporix `id`); a fresh one otherwise */
  transferId?: string;
  /** business time the caller reports (ISO-8601, not in the future); recorded, never reorders the ledger */
  occurredAt?: string;
  comment?: string;
  reason?: string;
  customerReason?: string;
  referenceId?: string;
  transactionId?: string;
}

export interface StoreRef {
  tenant: string;
  storeCode: string;
}

/**
 * The application side of the ledger that every API dialect calls: it turns a request into one
 * ledger command (ids, clock, store settings) and sends it through the command bus.
 */
@Injectable()
export class PointsService {
  constructor(
    private readonly commands: CommandBus,
    private readonly settings: StoreSettingsService,
    private readonly progress: ProgressTracker,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
    private readonly accounts: ExecuteOnPointsAccountHandler,
  ) {}

  async addPoints(account: AccountKey, points: Hundredths, details: TransferDetails & LotDateOverrides = {}): Promise<{ transferId: string }> {
    const settings = await this.settings.get(account.tenant, account.storeCode);
    const now = this.now();
    const { validUntil, validityDays, activatesAt, pendingDays, transferId: chosen, occurredAt, ...rest } = details;
    const dates = resolveLotDates(settings, { validUntil, validityDays, activatesAt, pendingDays }, now);
    const transferId = chosen ?? this.newId('transfer');
    await this.execute(account, {
      type: 'AddPoints',
      data: {
        transferId,
        points,
        now,
        ...dates,
        ...rest,
        ...businessTime(occurredAt),
        ...(settings.openAccountOnFirstAdd ? { openAccount: { ...account, accountId: this.newId('account') } } : {}),
      },
    });
    return { transferId };
  }

  async spendPoints(account: AccountKey, points: Hundredths, details: TransferDetails = {}): Promise<{ transferId: string }> {
    const { transferId: chosen, occurredAt, ...rest } = details;
    const transferId = chosen ?? this.newId('transfer');
    await this.execute(account, { type: 'SpendPoints', data: { transferId, points, now: this.now(), ...rest, ...businessTime(occurredAt) } });
    return { transferId };
  }

  async blockPoints(account: AccountKey, points: Hundredths, details: Omit<TransferDetails, 'customerReason' | 'transactionId' | 'transferId' | 'occurredAt'> = {}) {
    const transferId = this.newId('transfer');
    await this.execute(account, { type: 'BlockPoints', data: { transferId, points, now: this.now(), ...details } });
    return { transferId };
  }

  /** Cancels an adding lot, a spending or a block; returns how many points it removed, restored or released. */
  async cancelTransfer(store: StoreRef, transferId: string): Promise<{ points: Hundredths }> {
    const account = await this.locateTransfer(store, transferId);
    const decided = await this.execute(account, { type: 'CancelTransfer', data: { transferId, now: this.now() } });
    const cancelled = decided.events.find((e) => e.type === 'PointsCancelled');
    return { points: cancelled?.type === 'PointsCancelled' ? cancelled.data.points : 0 };
  }

  async activateTransfer(store: StoreRef, transferId: string): Promise<void> {
    const account = await this.locateTransfer(store, transferId);
    await this.execute(account, { type: 'ActivateLot', data: { transferId, now: this.now(), trigger: 'manual' } });
  }

  async expireTransfer(store: StoreRef, transferId: string): Promise<void> {
    const account = await this.locateTransfer(store, transferId);
    await this.execute(account, { type: 'ExpireLot', data: { transferId, now: this.now(), trigger: 'manual' } });
  }

  async resetPoints(account: AccountKey): Promise<void> {
    await this.execute(account, { type: 'ResetPoints', data: { now: this.now() } });
  }

  /**
   * Salla's reset_points with points: every active and pending lot expires and one active lot of
   * `points` opens, in one ledger decision, so the account is never left reset without its new points.
   */
  async resetAndAddPoints(account: AccountKey, points: Hundredths, details: TransferDetails & LotDateOverrides = {}): Promise<{ transferId: string }> {
    const settings = await this.settings.get(account.tenant, account.storeCode);
    const now = this.now();
    const { validUntil, validityDays, ...rest } = details;
    // the new lot is active at once: only its expiry comes from the store's policy or the request
    const { expiresAt } = resolveLotDates(settings, { validUntil, validityDays, pendingDays: 0 }, now);
    const transferId = this.newId('transfer');
    await this.execute(account, {
      type: 'ResetAndAddPoints',
      data: {
        transferId,
        points,
        now,
        ...(expiresAt ? { expiresAt } : {}),
        ...rest,
        ...(settings.openAccountOnFirstAdd ? { openAccount: { ...account, accountId: this.newId('account') } } : {}),
      },
    });
    return { transferId };
  }

  /** Opens the account, or reopens a closed one at 0; `opened` is false when it was open already (nothing changed). */
  async openAccount(account: AccountKey): Promise<{ opened: boolean }> {
    const decided = await this.execute(account, { type: 'OpenAccount', data: { ...account, accountId: this.newId('account'), now: this.now() } });
    return { opened: decided.events.length > 0 };
  }

  async closeAccount(account: AccountKey): Promise<void> {
    await this.execute(account, { type: 'CloseAccount', data: { now: this.now() } });
  }

  /**
   * Peer-to-peer: the sender's p2p_spending, then the receiver's p2p_adding. The receiver's step is
   * keyed by p2pId, so the process manager may repeat it after a crash and it still credits once.
   */
  async transferPoints(store: StoreRef, senderId: string, receiverId: string, points: Hundredths, comment?: string) {
    const settings = await this.settings.get(store.tenant, store.storeCode);
    if (!settings.p2pAllowed) throw new LedgerError('p2p_not_allowed', `store ${store.storeCode} does not allow transfers between customers`);
    const sender = { ...store, customerId: senderId };
    // the sender's half is stored first: refuse up front a receiver whose account can take nothing
    const receiverState = (await this.accounts.load({ ...store, customerId: receiverId })).state;
    if (receiverState.status === 'closed') throw new LedgerError('account_closed', `the account of customer ${receiverId} is closed`, { customerId: receiverId });
    if (receiverState.status === 'unopened' && !settings.openAccountOnFirstAdd) {
      throw new LedgerError('account_not_found', `customer ${receiverId} has no points account in store ${store.storeCode}`, { customerId: receiverId });
    }
    const p2pId = this.newId('p2p');
    const transferId = this.newId('transfer');
    const sent = await this.execute(sender, {
      type: 'SendP2P',
      data: { transferId, p2pId, points, senderCustomerId: senderId, receiverCustomerId: receiverId, now: this.now(), ...(comment ? { comment } : {}) },
    });
    const spent = sent.events.find((e): e is PointsSpent => e.type === 'PointsSpent');
    if (spent) await this.completeP2P(sender, spent);
    return { transferId, p2pId };
  }

  /** The receiver's half of a p2p transfer; safe to repeat (the process manager does after a crash). */
  async completeP2P(sender: AccountKey, spent: PointsSpent): Promise<void> {
    const { p2pId, receiverCustomerId, allocations, comment } = spent.data;
    if (!p2pId || !receiverCustomerId) return;
    const settings = await this.settings.get(sender.tenant, sender.storeCode);
    const receiver = { tenant: sender.tenant, storeCode: sender.storeCode, customerId: receiverCustomerId };
    await this.execute(receiver, {
      type: 'ReceiveP2P',
      data: {
        transferId: deterministicUuid('p2p-receive', p2pId),
        p2pId,
        senderCustomerId: sender.customerId,
        receiverCustomerId,
        allocations,
        now: spent.data.createdAt,
        ...(comment ? { comment } : {}),
        ...(settings.openAccountOnFirstAdd
          ? { openAccount: { ...receiver, accountId: deterministicUuid('p2p-account', `${p2pId}:${receiverCustomerId}`) } }
          : {}),
      },
    });
  }

  async execute(account: AccountKey, command: PointsAccountCommand): Promise<AccountDecision> {
    return this.commands.execute(new ExecuteOnPointsAccount(account, command));
  }

  /** Which account a transfer belongs to, from the transfers view once it has seen our own writes. */
  async locateTransfer(store: StoreRef, transferId: string): Promise<AccountKey> {
    await this.progress.caughtUp();
    const row = await this.views.transfers.byId(store.tenant, store.storeCode, transferId);
    if (!row) throw new LedgerError('transfer_not_found', `transfer ${transferId} was not found`, { transferId });
    return { tenant: store.tenant, storeCode: store.storeCode, customerId: row.customerId };
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  /** A fresh id, or one derived from the request's idempotency key so a retry reuses it. */
  private newId(purpose: string): string {
    const scope = currentContext().idempotencyScope;
    return scope ? deterministicUuid(scope, purpose) : randomUUID();
  }
}

/** A reported business time in the ledger's one spelling (UTC ISO-8601 with milliseconds), whatever form the client sent. */
function businessTime(occurredAt: string | undefined): { occurredAt?: string } {
  if (occurredAt === undefined) return {};
  const at = Date.parse(occurredAt);
  if (Number.isNaN(at)) throw new LedgerError('invalid_lot_dates', `occurredAt is not a valid date: ${occurredAt}`);
  return { occurredAt: new Date(at).toISOString() };
}
