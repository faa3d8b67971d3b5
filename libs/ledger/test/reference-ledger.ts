import type { LedgerErrorCode } from '../src/errors';
import type { PointsAccountCommand } from '../src/points-account';

/**
 * A deliberately naive second implementation of the ledger rules, for the property test:
 * mutable lists, running totals, linear scans, epoch milliseconds. It shares no code with the
 * decider, so the two only agree when both follow the rules.
 */
export class Refusal extends Error {
  constructor(readonly code: LedgerErrorCode) {
    super(code);
  }
}

interface RefLot {
  id: string;
  p2p: boolean;
  amount: number;
  left: number;
  status: 'active' | 'pending' | 'expired' | 'cancelled';
  created: number;
  seq: number;
  activates?: number;
  expires?: number;
  p2pId?: string;
}

interface RefSpend {
  id: string;
  p2p: boolean;
  p2pId?: string;
  amount: number;
  parts: { lot: string; amount: number }[];
  live: boolean;
}

interface RefBlock {
  id: string;
  amount: number;
  live: boolean;
}

export class ReferenceLedger {
  status: 'unopened' | 'open' | 'closed' = 'unopened';
  lots: RefLot[] = [];
  spends: RefSpend[] = [];
  blocks: RefBlock[] = [];
  earned = 0;
  spent = 0;
  expired = 0;
  cancelled = 0;
  p2pReceived = 0;
  p2pSent = 0;

  clone(): ReferenceLedger {
    return Object.assign(new ReferenceLedger(), structuredClone({ ...this }));
  }

  /** every transfer id in the order it was made: what a random cancel/activate/expire picks from */
  transferIds(): string[] {
    return [...this.lots.map((l) => l.id), ...this.spends.map((s) => s.id), ...this.blocks.map((b) => b.id)];
  }

  sentP2PIds(): string[] {
    return this.spends.filter((s) => s.p2pId !== undefined).map((s) => s.p2pId!);
  }

  receivedP2PIds(): string[] {
    return [...new Set(this.lots.filter((l) => l.p2pId !== undefined).map((l) => l.p2pId!))];
  }

  get activeLeft(): number {
    let sum = 0;
    for (const lot of this.lots) if (lot.status === 'active') sum += lot.left;
    return sum;
  }

  get pending(): number {
    let sum = 0;
    for (const lot of this.lots) if (lot.status === 'pending') sum += lot.left;
    return sum;
  }

  get blocked(): number {
    let sum = 0;
    for (const block of this.blocks) if (block.live) sum += block.amount;
    return sum;
  }

  get available(): number {
    const free = this.activeLeft - this.blocked;
    return free < 0 ? 0 : free;
  }

  figures() {
    return {
      available: this.available,
      active: this.activeLeft,
      pending: this.pending,
      blocked: this.blocked,
      earned: this.earned,
      spent: this.spent,
      expired: this.expired,
      cancelled: this.cancelled,
      p2pReceived: this.p2pReceived,
      p2pSent: this.p2pSent,
    };
  }

  lotStates(): Record<string, { state: string; remaining: number }> {
    const states: Record<string, { state: string; remaining: number }> = {};
    for (const lot of this.lots) states[lot.id] = { state: lot.status, remaining: lot.left };
    return states;
  }

  /** Applies the command, or throws Refusal; on a refusal this object may be half-changed (use a clone). */
  handle(command: PointsAccountCommand): void {
    if (command.type === 'OpenAccount') {
      // reopening a closed account starts it afresh, at 0
      if (this.status === 'closed') Object.assign(this, new ReferenceLedger());
      this.status = 'open';
      return;
    }
    if (this.status === 'closed') throw new Refusal('account_closed');
    if (this.status !== 'open') throw new Refusal('account_not_found');
    const now = Date.parse(command.data.now);
    switch (command.type) {
      case 'CloseAccount':
        this.status = 'closed';
        return;
      case 'AddPoints': {
        const d = command.data;
        if (this.transferIds().includes(d.transferId)) throw new Refusal('transfer_already_exists');
        const activates = d.activatesAt === undefined ? undefined : Date.parse(d.activatesAt);
        const expires = d.expiresAt === undefined ? undefined : Date.parse(d.expiresAt);
        if (expires !== undefined && (expires <= now || (activates !== undefined && expires <= activates))) {
          throw new Refusal('invalid_lot_dates');
        }
        this.lots.push({
          id: d.transferId,
          p2p: false,
          amount: d.points,
          left: d.points,
          status: d.state,
          created: now,
          seq: this.lots.length,
          activates,
          expires,
        });
        if (d.state === 'active') this.earned += d.points;
        return;
      }
      case 'SpendPoints':
        this.catchUp(now);
        this.spend(command.data.transferId, command.data.points, false);
        return;
      case 'SendP2P': {
        const d = command.data;
        if (d.senderCustomerId === d.receiverCustomerId) throw new Refusal('p2p_to_self');
        if (this.sentP2PIds().includes(d.p2pId)) return;
        this.catchUp(now);
        this.spend(d.transferId, d.points, true, d.p2pId);
        return;
      }
      case 'BlockPoints': {
        const d = command.data;
        if (this.transferIds().includes(d.transferId)) throw new Refusal('transfer_already_exists');
        this.catchUp(now);
        if (d.points > this.available) throw new Refusal('insufficient_points');
        this.blocks.push({ id: d.transferId, amount: d.points, live: true });
        return;
      }
      case 'ReceiveP2P': {
        const d = command.data;
        if (d.senderCustomerId === d.receiverCustomerId) throw new Refusal('p2p_to_self');
        if (this.receivedP2PIds().includes(d.p2pId)) return;
        const expiries: (number | undefined)[] = [];
        const totals: number[] = [];
        for (const part of d.allocations) {
          const expires = part.expiresAt === undefined ? undefined : Date.parse(part.expiresAt);
          const at = expiries.indexOf(expires);
          if (at === -1) {
            expiries.push(expires);
            totals.push(part.points);
          } else totals[at] += part.points;
        }
        const order = expiries.map((_, i) => i).sort((a, b) => (expiries[a] ?? Infinity) - (expiries[b] ?? Infinity));
        order.forEach((group, n) => {
          this.lots.push({
            id: n === 0 ? d.transferId : `${d.transferId}-${n + 1}`,
            p2p: true,
            amount: totals[group],
            left: totals[group],
            status: 'active',
            created: now,
            seq: this.lots.length,
            expires: expiries[group],
            p2pId: d.p2pId,
          });
          this.p2pReceived += totals[group];
        });
        return;
      }
      case 'CancelTransfer':
        this.cancel(command.data.transferId);
        return;
      case 'ActivateLot': {
        const lot = this.lotOrNothing(command.data.transferId);
        if (command.data.trigger === 'scheduled') {
          if (lot && lot.status === 'pending' && lot.activates !== undefined && lot.activates <= now) this.activate(lot);
          return;
        }
        if (!lot || lot.status !== 'pending') throw new Refusal('transfer_not_pending');
        this.activate(lot);
        return;
      }
      case 'ExpireLot': {
        const lot = this.lotOrNothing(command.data.transferId);
        if (command.data.trigger === 'scheduled') {
          if (lot && lot.status === 'active' && lot.expires !== undefined && lot.expires <= now) this.expire(lot);
          return;
        }
        if (!lot || lot.status !== 'active') throw new Refusal('transfer_not_active');
        this.expire(lot);
        return;
      }
      case 'ActivateDueLots':
        for (const lot of this.lots) {
          if (lot.status === 'pending' && lot.activates !== undefined && lot.activates <= now) this.activate(lot);
        }
        return;
      case 'ExpireDueLots':
        for (const lot of this.lots) {
          if (lot.status === 'active' && lot.expires !== undefined && lot.expires <= now) this.expire(lot);
        }
        return;
      case 'ResetPoints':
        for (const lot of this.lots) if (lot.status === 'active' || lot.status === 'pending') this.expire(lot);
        return;
    }
  }

  /** What a lagging scheduler would have done by now: activations, then expiries. */
  private catchUp(now: number): void {
    for (const lot of this.lots) {
      if (lot.status === 'pending' && lot.activates !== undefined && lot.activates <= now) this.activate(lot);
    }
    for (const lot of this.lots) {
      if (lot.status === 'active' && lot.expires !== undefined && lot.expires <= now) this.expire(lot);
    }
  }

  private spend(id: string, points: number, p2p: boolean, p2pId?: string): void {
    if (this.transferIds().includes(id)) throw new Refusal('transfer_already_exists');
    if (points > this.available) throw new Refusal('insufficient_points');
    const parts: { lot: string; amount: number }[] = [];
    let owed = points;
    while (owed > 0) {
      // Pick, by linear scan, the best lot still holding points.
      let best: RefLot | undefined;
      for (const lot of this.lots) {
        if (lot.status !== 'active' || lot.left === 0) continue;
        if (!best || this.drawnBefore(lot, best)) best = lot;
      }
      if (!best) throw new Error('reference model: available said yes but no lot holds points');
      const take = Math.min(owed, best.left);
      best.left -= take;
      owed -= take;
      parts.push({ lot: best.id, amount: take });
    }
    this.spends.push({ id, p2p, p2pId, amount: points, parts, live: true });
    if (p2p) this.p2pSent += points;
    else this.spent += points;
  }

  private drawnBefore(a: RefLot, b: RefLot): boolean {
    const ae = a.expires ?? Infinity;
    const be = b.expires ?? Infinity;
    if (ae !== be) return ae < be;
    if (a.created !== b.created) return a.created < b.created;
    return a.seq < b.seq;
  }

  private cancel(id: string): void {
    const lot = this.lots.find((l) => l.id === id);
    if (lot) {
      if (lot.status === 'cancelled') throw new Refusal('transfer_already_cancelled');
      if (lot.p2p) throw new Refusal('p2p_not_cancellable');
      if (lot.status === 'expired') throw new Refusal('transfer_expired');
      if (lot.status === 'active') this.earned -= lot.left;
      this.cancelled += lot.left;
      lot.left = 0;
      lot.status = 'cancelled';
      return;
    }
    const spend = this.spends.find((s) => s.id === id);
    if (spend) {
      if (!spend.live) throw new Refusal('transfer_already_cancelled');
      if (spend.p2p) throw new Refusal('p2p_not_cancellable');
      spend.live = false;
      this.spent -= spend.amount;
      for (const part of spend.parts) {
        const target = this.lots.find((l) => l.id === part.lot)!;
        if (target.status === 'expired') this.expired += part.amount;
        else if (target.status === 'cancelled') {
          // The lot was cancelled after this spending drew on it: the points come back removed.
          this.cancelled += part.amount;
          this.earned -= part.amount;
        } else target.left += part.amount;
      }
      return;
    }
    const block = this.blocks.find((b) => b.id === id);
    if (block) {
      if (!block.live) throw new Refusal('transfer_already_cancelled');
      block.live = false;
      return;
    }
    throw new Refusal('transfer_not_found');
  }

  private lotOrNothing(id: string): RefLot | undefined {
    if (!this.transferIds().includes(id)) throw new Refusal('transfer_not_found');
    return this.lots.find((l) => l.id === id);
  }

  private activate(lot: RefLot): void {
    lot.status = 'active';
    if (!lot.p2p) this.earned += lot.left;
  }

  private expire(lot: RefLot): void {
    this.expired += lot.left;
    lot.left = 0;
    lot.status = 'expired';
  }
}
