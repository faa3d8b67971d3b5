import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EngineConfig } from './config';
import type { LeaseStore } from './leases';
import { Scheduler } from './scheduler';
import { ENGINE_CONFIG, LEASE_STORE } from './tokens';

export const SCHEDULER_LEASE = 'scheduler';

/**
 * Runs the scheduler in one process at a time: every process that may schedule competes for the
 * `scheduler` lease, renews it every third of its time while holding it, and schedules only while
 * its lease has time left. A dead holder stops renewing, and another process takes over once the
 * lease expires. The ledger still decides every activation and expiry on the account's own events,
 * so even a pass that outlives a lost lease cannot expire a lot twice; the lease saves the work.
 */
@Injectable()
export class SchedulerLeadership {
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly logger = new Logger('Scheduler');
  private timer?: NodeJS.Timeout;
  private heldUntil = 0;
  private leading = false;
  private renewing?: Promise<boolean>;

  constructor(
    private readonly scheduler: Scheduler,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.renew();
    this.timer = setInterval(() => void this.renew(), Math.floor(this.config.schedulerLeaseMs / 3));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
    this.scheduler.stop();
    await this.scheduler.idle();
    if (this.leading) await this.leases.release(SCHEDULER_LEASE, this.holder).catch(() => undefined);
    this.leading = false;
    this.heldUntil = 0;
  }

  /** This process may schedule now: it holds the lease and it has not run out. */
  holds(): boolean {
    return this.leading && Date.now() < this.heldUntil;
  }

  /** Takes or renews the lease; starts or stops the scheduler when that changed. */
  renew(): Promise<boolean> {
    this.renewing ??= this.attempt().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async attempt(): Promise<boolean> {
    // counted from before the round trip, so this process never believes it holds longer than the store says
    const asked = Date.now();
    let held: boolean;
    try {
      held = await this.leases.acquire(SCHEDULER_LEASE, this.holder, this.config.schedulerLeaseMs);
    } catch (error) {
      // the store is unreachable: keep what is left of the lease, holds() lets it run out
      this.logger.warn(`scheduler lease not renewed: ${(error as Error).message}`);
      return this.holds();
    }
    if (held) {
      this.heldUntil = asked + this.config.schedulerLeaseMs;
      if (!this.leading && this.timer) {
        this.leading = true;
        this.scheduler.start(this.config.schedulerIntervalMs, () => this.holds());
        this.logger.log(`this process (${this.holder}) holds the scheduler lease`);
      }
    } else if (this.leading) {
      this.leading = false;
      this.heldUntil = 0;
      this.scheduler.stop();
      this.logger.log(`scheduler lease lost to another process`);
    }
    return held;
  }
}
