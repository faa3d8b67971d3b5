import { seededRandom } from './seeded-random';
import type { NewEvent } from '@app/event-store/event-store.port';
import type { Allocation, Restoration } from '@app/ledger/events';
import { customerStream, pointsAccountStream } from '@app/ledger/streams';

/**
 * A deterministic stream of valid loyalty events for read-model tests and benchmarks, with the
 * balances a correct projection must show (its own tiny ledger is the oracle). Not the domain's
 * decider: it only has to produce event sequences the decider could have produced.
 */
export interface SimulatedAppend {
  streamId: string;
  events: NewEvent[];
}

interface SimLot {
  lotId: string;
  type: 'adding' | 'p2p_adding';
  state: 'active' | 'pending' | 'expired' | 'canceled';
  remaining: number;
  expiresAt?: string;
}

interface SimAccount {
  tenant: string;
  storeCode: string;
  customerId: string;
  lots: SimLot[];
  blocks: Map<string, number>;
  spends: Map<string, { type: 'spending' | 'p2p_spending'; allocations: Allocation[]; cancelled: boolean }>;
  closed: boolean;
}

export interface ExpectedBalance {
  tenant: string;
  storeCode: string;
  customerId: string;
  available: number;
  pending: number;
  blocked: number;
}

export interface SimulationOptions {
  seed?: number;
  /** roughly how many events to produce */
  events: number;
  customers?: number;
  tenant?: string;
  stores?: readonly string[];
  start?: string;
}

export class LedgerSimulation {
  readonly appends: SimulatedAppend[] = [];
  eventCount = 0;
  private readonly accounts = new Map<string, SimAccount>();
  private readonly registered = new Set<string>();
  private readonly rand: () => number;
  private clock: number;
  private ids = 0;

  constructor(private readonly options: SimulationOptions) {
    this.rand = seededRandom(options.seed ?? 42);
    this.clock = Date.parse(options.start ?? '2026-01-01T08:00:00.000Z');
  }

  static run(options: SimulationOptions): LedgerSimulation {
    const simulation = new LedgerSimulation(options);
    simulation.generate();
    return simulation;
  }

  /** available / pending / blocked of every open account, from the simulation's own ledger */
  expectedBalances(): ExpectedBalance[] {
    return [...this.accounts.values()]
      .filter((account) => !account.closed)
      .map((account) => ({
        tenant: account.tenant,
        storeCode: account.storeCode,
        customerId: account.customerId,
        available: this.available(account),
        pending: account.lots.filter((lot) => lot.state === 'pending').reduce((sum, lot) => sum + lot.remaining, 0),
        blocked: [...account.blocks.values()].reduce((sum, points) => sum + points, 0),
      }));
  }

  private generate(): void {
    const tenant = this.options.tenant ?? 'acme';
    const stores = this.options.stores ?? ['DEFAULT', 'OUTLET'];
    const customers = this.options.customers ?? Math.max(10, Math.round(this.options.events / 40));
    while (this.eventCount < this.options.events) {
      this.clock += Math.floor(this.rand() * 20 * 60_000);
      const customerNo = Math.floor(this.rand() * customers);
      const customerId = `c${String(customerNo).padStart(6, '0')}`;
      const storeCode = stores[Math.floor(this.rand() * stores.length)];
      const key = `${tenant}:${storeCode}:${customerId}`;
      let account = this.accounts.get(key);
      if (!account || account.closed) {
        if (!this.registered.has(customerId)) this.register(tenant, storeCode, customerId);
        account = { tenant, storeCode, customerId, lots: [], blocks: new Map(), spends: new Map(), closed: false };
        this.accounts.set(key, account);
        this.push(account, [{ type: 'AccountOpened', data: { accountId: this.id('acc'), tenant, storeCode, customerId, openedAt: this.now() } }]);
      }
      this.step(account);
    }
  }

  private register(tenant: string, storeCode: string, customerId: string): void {
    this.registered.add(customerId);
    this.pushTo(customerStream(tenant, customerId), [
      {
        type: 'CustomerRegistered',
        data: {
          customerId,
          tenant,
          storeCode,
          registeredAt: this.now(),
          customerNumber: `N-${customerId}`,
          email: `${customerId}@Example.com`,
          phone: `+4860${customerId.slice(1)}`,
          firstName: `First${customerId.slice(-2)}`,
          lastName: `Last${customerId.slice(-3)}`,
          loyaltyCardNumber: `card-${customerId}`,
        },
      },
    ]);
  }

  private step(account: SimAccount): void {
    const roll = this.rand();
    const available = this.available(account);
    const activeWithRemaining = account.lots.filter((lot) => lot.state === 'active' && lot.remaining > 0);
    const pendingLots = account.lots.filter((lot) => lot.state === 'pending');
    if (roll < 0.4 || available === 0) return this.add(account, 'adding');
    if (roll < 0.55) {
      this.spend(account, 1 + Math.floor(this.rand() * available), 'spending');
      return;
    }
    if (roll < 0.6 && pendingLots.length) return this.activate(account, pendingLots[0]);
    if (roll < 0.65) return this.block(account, 1 + Math.floor(this.rand() * Math.min(available, 500)));
    if (roll < 0.68 && account.blocks.size) {
      const [transferId, points] = [...account.blocks][0];
      account.blocks.delete(transferId);
      return this.push(account, [{ type: 'PointsCancelled', data: { transferId, points, cancelledType: 'blocked', cancelledAt: this.now() } }]);
    }
    if (roll < 0.75 && activeWithRemaining.length && this.available(account) >= activeWithRemaining[0].remaining) {
      const lot = activeWithRemaining[0];
      const points = lot.remaining;
      lot.remaining = 0;
      lot.state = 'expired';
      return this.push(account, [{ type: 'PointsExpired', data: { lotId: lot.lotId, points, expiredAt: this.now() } }]);
    }
    if (roll < 0.8) {
      const lot = account.lots.find((l) => (l.state === 'active' || l.state === 'pending') && l.remaining > 0 && l.type === 'adding');
      if (lot && (lot.state === 'pending' || this.available(account) >= lot.remaining)) {
        const points = lot.remaining;
        lot.remaining = 0;
        lot.state = 'canceled';
        return this.push(account, [{ type: 'PointsCancelled', data: { transferId: lot.lotId, points, cancelledType: 'adding', cancelledAt: this.now() } }]);
      }
    }
    if (roll < 0.86) {
      const spend = [...account.spends].find(([, s]) => !s.cancelled && s.type === 'spending');
      if (spend) return this.cancelSpend(account, spend[0]);
    }
    if (roll < 0.9) return this.updateCustomer(account);
    if (roll < 0.95) return this.p2p(account);
    if (roll < 0.953) {
      account.closed = true;
      return this.push(account, [{ type: 'AccountClosed', data: { closedAt: this.now() } }]);
    }
    return this.add(account, 'adding');
  }

  private add(account: SimAccount, type: 'adding' | 'p2p_adding', points?: number, expiresAt?: string): void {
    const pending = type === 'adding' && this.rand() < 0.2;
    const lot: SimLot = {
      lotId: this.id('t'),
      type,
      state: pending ? 'pending' : 'active',
      remaining: points ?? 100 + Math.floor(this.rand() * 50_000),
      expiresAt: expiresAt ?? (this.rand() < 0.6 ? this.at(10 + Math.floor(this.rand() * 60)) : undefined),
    };
    account.lots.push(lot);
    this.push(account, [
      {
        type: 'PointsAdded',
        data: {
          transferId: lot.lotId,
          type,
          points: lot.remaining,
          state: lot.state,
          createdAt: this.now(),
          ...(pending ? { activatesAt: this.at(1 + Math.floor(this.rand() * 14)) } : {}),
          ...(lot.expiresAt ? { expiresAt: lot.expiresAt } : {}),
          comment: this.rand() < 0.5 ? `purchase ${this.ids}` : undefined,
          referenceId: this.rand() < 0.3 ? `ref-${this.ids}` : undefined,
        },
      },
    ]);
  }

  private activate(account: SimAccount, lot: SimLot): void {
    lot.state = 'active';
    this.push(account, [{ type: 'PointsActivated', data: { transferId: lot.lotId, points: lot.remaining, activatedAt: this.now() } }]);
  }

  private allocate(account: SimAccount, points: number): Allocation[] {
    const allocations: Allocation[] = [];
    let left = points;
    const lots = account.lots
      .filter((lot) => lot.state === 'active' && lot.remaining > 0)
      .sort((a, b) => (a.expiresAt ?? '9999').localeCompare(b.expiresAt ?? '9999'));
    for (const lot of lots) {
      if (!left) break;
      const take = Math.min(left, lot.remaining);
      lot.remaining -= take;
      left -= take;
      allocations.push({ lotId: lot.lotId, points: take, ...(lot.expiresAt ? { expiresAt: lot.expiresAt } : {}) });
    }
    return allocations;
  }

  private spend(account: SimAccount, points: number, type: 'spending' | 'p2p_spending'): Allocation[] {
    const allocations = this.allocate(account, points);
    const transferId = this.id('t');
    account.spends.set(transferId, { type, allocations, cancelled: false });
    this.push(account, [{ type: 'PointsSpent', data: { transferId, type, points, allocations, createdAt: this.now(), comment: 'order' } }]);
    return allocations;
  }

  private block(account: SimAccount, points: number): void {
    const transferId = this.id('t');
    account.blocks.set(transferId, points);
    this.push(account, [{ type: 'PointsBlocked', data: { transferId, points, createdAt: this.now() } }]);
  }

  private cancelSpend(account: SimAccount, transferId: string): void {
    const spend = account.spends.get(transferId)!;
    spend.cancelled = true;
    const restored: Restoration[] = spend.allocations.map((allocation) => {
      const lot = account.lots.find((l) => l.lotId === allocation.lotId)!;
      if (lot.state === 'active' || lot.state === 'pending') lot.remaining += allocation.points;
      return { lotId: allocation.lotId, points: allocation.points, expired: lot.state === 'expired', ...(lot.state === 'canceled' ? { cancelled: true } : {}) };
    });
    const points = spend.allocations.reduce((sum, a) => sum + a.points, 0);
    this.push(account, [{ type: 'PointsCancelled', data: { transferId, points, cancelledType: spend.type, restored, cancelledAt: this.now() } }]);
  }

  private updateCustomer(account: SimAccount): void {
    this.pushTo(customerStream(account.tenant, account.customerId), [
      {
        type: 'CustomerUpdated',
        data: { firstName: `Renamed${this.ids % 97}`, email: `${account.customerId}.${this.ids}@example.com`, updatedAt: this.now() },
      },
    ]);
  }

  private p2p(sender: SimAccount): void {
    const receiver = [...this.accounts.values()].find(
      (a) => !a.closed && a.storeCode === sender.storeCode && a.customerId !== sender.customerId && a.tenant === sender.tenant,
    );
    const available = this.available(sender);
    if (!receiver || available < 2) return this.add(sender, 'adding');
    const points = 1 + Math.floor(this.rand() * Math.min(available - 1, 2_000));
    const allocations = this.spend(sender, points, 'p2p_spending');
    for (const allocation of allocations) this.add(receiver, 'p2p_adding', allocation.points, allocation.expiresAt);
  }

  private available(account: SimAccount): number {
    const active = account.lots.filter((lot) => lot.state === 'active').reduce((sum, lot) => sum + lot.remaining, 0);
    return active - [...account.blocks.values()].reduce((sum, points) => sum + points, 0);
  }

  private push(account: SimAccount, events: Array<{ type: string; data: object }>): void {
    this.pushTo(pointsAccountStream(account), events, account.storeCode);
  }

  private pushTo(streamId: string, events: Array<{ type: string; data: object }>, storeCode = 'DEFAULT'): void {
    const issuers = ['system', 'admin', 'api', 'customer'];
    this.appends.push({
      streamId,
      events: events.map((event) => ({
        id: this.id('e'),
        type: event.type,
        // undefined fields are dropped, as JSON storage would
        data: JSON.parse(JSON.stringify(event.data)) as unknown,
        metadata: {
          tenant: this.options.tenant ?? 'acme',
          storeCode,
          correlationId: `corr-${this.ids}`,
          causationId: `cause-${this.ids}`,
          issuer: issuers[this.ids % issuers.length],
          actor: 'simulation',
          schemaVersion: 1,
        },
      })),
    });
    this.eventCount += events.length;
  }

  private now(): string {
    return new Date(this.clock).toISOString();
  }

  private at(daysAhead: number): string {
    return new Date(this.clock + daysAhead * 86_400_000).toISOString();
  }

  private id(prefix: string): string {
    this.ids += 1;
    return `${prefix}-${String(this.ids).padStart(8, '0')}`;
  }
}
