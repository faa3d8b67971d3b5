import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { Clock } from '@app/ledger';
import type { ReadModelQueries } from '@app/read-models';
import type { AccountDecision } from './points/execute-on-account';
import { PointsService } from './points/points.service';
import { runInContext } from './request-context';
import { ENGINE_TELEMETRY, EngineTelemetry, noTelemetry } from './telemetry';
import { CLOCK, READ_MODELS } from './tokens';

const BATCH = 500;

/** lots a decision activated or expired: one event per lot */
function countOf(decided: AccountDecision, type: 'PointsActivated' | 'PointsExpired'): number {
  return decided.events.filter((event) => event.type === type).length;
}

/**
 * Activates pending lots and expires lots when they fall due. The due list comes from the lots
 * view; the ledger decides again on each account's own state, so a lot already handled (by another
 * scheduler, or a manual call) yields no event: every lot is activated or expired exactly once.
 */
@Injectable()
export class Scheduler {
  private readonly logger = new Logger(Scheduler.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly points: PointsService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
    @Optional() @Inject(ENGINE_TELEMETRY) private readonly telemetry: EngineTelemetry = noTelemetry,
  ) {}

  /** Ticks every intervalMs while `mayRun` says so (SchedulerLeadership: while this process holds the lease). */
  start(intervalMs: number, mayRun: () => boolean = () => true): void {
    this.stop();
    this.timer = setInterval(() => mayRun() && void this.tick().catch((e) => this.logger.error(e)), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Resolves once no pass is running (after `stop()`, before the stores close). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** One pass over everything due now; returns how many accounts were visited. */
  tick(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    const now = this.clock.now().toISOString();
    const seen = new Set<string>();
    const lots = { activated: 0, expired: 0 };
    let failed = true;
    try {
      const visited = await this.visitDue(now, seen, lots);
      failed = false;
      return visited;
    } finally {
      this.telemetry.schedulerPass(lots, failed);
    }
  }

  private visitDue(now: string, seen: Set<string>, lots: { activated: number; expired: number }): Promise<number> {
    return runInContext({ issuer: 'system', actor: 'scheduler' }, async () => {
      for (;;) {
        const due = await this.views.lots.due(now, BATCH);
        const accounts = new Map<string, { tenant: string; storeCode: string; customerId: string }>();
        for (const lot of due) {
          const key = `${lot.tenant}:${lot.storeCode}:${lot.customerId}`;
          if (!seen.has(key)) accounts.set(key, { tenant: lot.tenant, storeCode: lot.storeCode, customerId: lot.customerId });
        }
        for (const [key, account] of accounts) {
          seen.add(key);
          try {
            lots.activated += countOf(await this.points.execute(account, { type: 'ActivateDueLots', data: { now } }), 'PointsActivated');
            lots.expired += countOf(await this.points.execute(account, { type: 'ExpireDueLots', data: { now } }), 'PointsExpired');
          } catch (error) {
            // one account's refusal (closed meanwhile, say) must not hold up everyone else's expiries
            this.logger.warn(`due lots of ${key} not handled: ${(error as Error).message}`);
          }
        }
        // the view lags our own writes; stop when a page brings no account we have not handled
        if (due.length < BATCH || accounts.size === 0) return seen.size;
      }
    });
  }
}
