import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CommandOutcome, EngineTelemetry, Infrastructure } from '@app/engine';
import { projectionLag } from './projection-lag';

/** lag counted per scrape at most this far: beyond it the gauge says "this many or more" */
export const LAG_COUNT_LIMIT = 10_000;

type HttpLabel = 'method' | 'route' | 'status_code';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const APPEND_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

/**
 * The engine's Prometheus metrics, in a registry of its own (one per app, so several engines in one
 * test process do not collide). Labels are route patterns, methods, statuses and command, event and
 * projection names: never customer ids, store codes, keys or tokens.
 */
export class OpsMetrics implements EngineTelemetry {
  readonly registry = new Registry();
  private readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'time from request received to response sent, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly commands = new Counter({
    name: 'loyalty_commands_total',
    help: 'points-account commands by type and outcome (accepted, refused by a ledger rule, failed; conflict_retried counts each re-decision after a concurrent append)',
    labelNames: ['command', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly appendDuration = new Histogram({
    name: 'loyalty_event_append_duration_seconds',
    help: 'one append to the event store (commit included)',
    buckets: APPEND_BUCKETS,
    registers: [this.registry],
  });
  private readonly schedulerRuns = new Counter({
    name: 'loyalty_scheduler_runs_total',
    help: 'scheduler passes over the due lots, by outcome (ok, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly schedulerLots = new Counter({
    name: 'loyalty_scheduler_lots_total',
    help: 'lots the scheduler activated or expired',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  private readonly importedItems = new Counter({
    name: 'loyalty_import_items_total',
    help: 'items of XML points imports processed, by outcome (success, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  /** per method+route+status: the children, so a request costs no label hashing */
  private readonly httpChildren = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<HttpLabel> }>();

  constructor(infrastructure: Infrastructure) {
    collectDefaultMetrics({ register: this.registry });
    let lag: ReturnType<typeof projectionLag> | undefined;
    // both gauges are read in one scrape: one look at the checkpoints serves them
    const currentLag = () => (lag ??= projectionLag(infrastructure, LAG_COUNT_LIMIT).finally(() => setImmediate(() => (lag = undefined))));
    new Gauge({
      name: 'loyalty_projection_lag_events',
      help: `events stored after each projection's checkpoint (counted up to ${LAG_COUNT_LIMIT})`,
      labelNames: ['projection'] as const,
      registers: [this.registry],
      async collect() {
        for (const row of await currentLag()) this.set({ projection: row.projection }, row.events);
      },
    });
    new Gauge({
      name: 'loyalty_projection_lag_seconds',
      help: 'age of the oldest event each projection has not applied yet (0 when caught up)',
      labelNames: ['projection'] as const,
      registers: [this.registry],
      async collect() {
        for (const row of await currentLag()) this.set({ projection: row.projection }, row.seconds);
      },
    });
  }

  httpRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${statusCode} ${route}`;
    let child = this.httpChildren.get(key);
    if (!child) {
      const labels = { method, route, status_code: String(statusCode) };
      child = { count: this.httpRequests.labels(labels), duration: this.httpDuration.labels(labels) };
      this.httpChildren.set(key, child);
    }
    child.count.inc();
    child.duration.observe(seconds);
  }

  command(type: string, outcome: CommandOutcome): void {
    this.commands.inc({ command: type, outcome });
  }

  conflictRetried(type: string): void {
    this.commands.inc({ command: type, outcome: 'conflict_retried' });
  }

  appended(seconds: number): void {
    this.appendDuration.observe(seconds);
  }

  schedulerPass(lots: { activated: number; expired: number }, failed: boolean): void {
    this.schedulerRuns.inc({ outcome: failed ? 'failed' : 'ok' });
    if (lots.activated) this.schedulerLots.inc({ action: 'activated' }, lots.activated);
    if (lots.expired) this.schedulerLots.inc({ action: 'expired' }, lots.expired);
  }

  importItems(outcome: 'success' | 'failed', count: number): void {
    if (count) this.importedItems.inc({ outcome }, count);
  }
}
