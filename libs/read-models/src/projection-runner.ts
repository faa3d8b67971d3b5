import { availableParallelism } from 'node:os';
import type { EventStore, EventSubscription, GlobalPosition } from '@app/event-store/event-store.port';
import type { Projection } from './projection';
import type { ProjectionStore } from './projection-store.port';
import { accountsProjection } from './projections/accounts.projection';
import { customersProjection } from './projections/customers.projection';
import { histogramProjection } from './projections/histogram.projection';
import { lotsProjection } from './projections/lots.projection';
import { transfersProjection } from './projections/transfers.projection';

const START: GlobalPosition = -1;
/** waitFor with the loop in this process: woken by its commits; this poll only backs that up */
const IN_PROCESS_SAFETY_POLL_MS = 250;
/** waitFor with the loop in another process (projector, CLI): nothing wakes it but this poll */
const OTHER_PROCESS_POLL_MS = 25;

/** Every projection of the engine, in the order `rebuild('all')` runs them. */
export const ALL_PROJECTIONS: ReadonlyArray<Projection> = [
  customersProjection,
  accountsProjection,
  lotsProjection,
  transfersProjection,
  histogramProjection,
];

export interface ProjectionStatus {
  name: string;
  /** last global position applied */
  checkpoint: GlobalPosition;
  /** newest event in the store */
  head: GlobalPosition;
  /** events stored after the checkpoint (counted up to lagCountLimit) */
  lag: number;
  /** when the checkpoint last moved; null before the first batch */
  lastUpdateAt: string | null;
  /** running in this process */
  running: boolean;
  /** last error of this process's loop, cleared by the next good batch */
  lastError: string | null;
}

export interface RebuildProgress {
  name: string;
  /** events replayed so far */
  done: number;
  /**
   * events to replay: exact where positions count events (SQLite); where they are byte offsets
   * (EventStoreDB), estimated from the share of the log the events done so far covered
   */
  total: number;
  eventsPerSecond: number;
  etaSeconds: number;
}

export interface RebuildReport {
  name: string;
  events: number;
  seconds: number;
  /** the live checkpoint after the swap */
  checkpoint: GlobalPosition;
  /** of `seconds`: building the indexes of every view rebuilt together, once the log was replayed (from the sorted rows) */
  indexSeconds: number;
  /** of `seconds`, rebuilds in workers only: copying the finished rows from the workers' scratch files into the shadows */
  copySeconds?: number;
}

export interface ProjectionRunnerOptions {
  /** events per live batch (one transaction in SQLite) */
  batchSize?: number;
  /**
   * events per batch (one commit) while rebuilding; default 10,000. Bigger batches write the random
   * primary-key pages a replay dirties fewer times, but hold more: at 1M transfers 20,000 replayed 6%
   * faster with 50 MB more RSS, which the engine's first-start catch-up cannot spare.
   */
  rebuildBatchSize?: number;
  /** pause after a failing batch before retrying from the stored checkpoint */
  retryDelayMs?: number;
  lagCountLimit?: number;
  /**
   * SQLite: projections that never ran (checkpoint START) behind at least this many events catch up
   * as a rebuild (shadow tables without their secondary indexes, built once at the end, then swapped
   * in) instead of through the live tables and every index; 0 turns it off.
   */
  catchUpAsRebuildFrom?: number;
  /**
   * Threads a rebuild of the engine's own projections replays in (stores that can, SQLite in a file),
   * each into a scratch file of its own; default: the cores available; 0 replays on this thread. The
   * catch-up of projections that never ran stays on this thread, within the engine's memory budget.
   */
  rebuildWorkers?: number;
}

/** A projection the live loop of this process runs. */
interface LoopState {
  /** the checkpoint this process last committed or read for it */
  applied: GlobalPosition;
  lastError: string | null;
}

/**
 * Runs projections from their checkpoints over the event store's subscription.
 *
 * - `list()` names the projections; `status()` gives checkpoint, head, lag and last update.
 * - `start()` / `stop()` run them in this process (API in the embedded profile, projector worker in the distributed one).
 * - `waitFor(position)` resolves once every projection has applied up to `position`, wherever it runs
 *   (read-your-writes for the API, and tests).
 * - `rebuild(name | 'all', onProgress)` replays from position 0 into shadow tables/collections while
 *   the live views keep serving, swaps them in atomically, and the live loop (here or in another process)
 *   notices the moved checkpoint and continues from the rebuilt one. Works without `start()`, e.g. from the CLI.
 */
/** The views did not apply a position in time (the projector is stuck, e.g. on a full disk): a read cannot be answered now. */
export class ProjectionLagError extends Error {
  override name = 'ProjectionLagError';
  constructor(
    readonly behind: readonly string[],
    readonly position: number,
  ) {
    super(`projections ${behind.join(', ')} did not reach position ${position} in time`);
  }
}

export class ProjectionRunner {
  private readonly projections: Map<string, Projection>;
  private readonly loops = new Map<string, LoopState>();
  private loopDone: Promise<void> = Promise.resolve();
  private subscription: EventSubscription | undefined;
  private readonly wakers = new Set<() => void>();
  private stopping = false;
  private readonly batchSize: number;
  private readonly rebuildBatchSize: number;
  private readonly retryDelayMs: number;
  private readonly lagCountLimit: number;
  private readonly catchUpAsRebuildFrom: number;
  private readonly rebuildWorkers: number;

  constructor(
    private readonly events: EventStore,
    private readonly store: ProjectionStore,
    projections: ReadonlyArray<Projection> = ALL_PROJECTIONS,
    options: ProjectionRunnerOptions = {},
  ) {
    this.projections = new Map(projections.map((projection) => [projection.name, projection]));
    this.batchSize = options.batchSize ?? 2_000;
    this.rebuildBatchSize = options.rebuildBatchSize ?? 10_000;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.lagCountLimit = options.lagCountLimit ?? 100_000;
    this.catchUpAsRebuildFrom = options.catchUpAsRebuildFrom ?? 50_000;
    this.rebuildWorkers = options.rebuildWorkers ?? availableParallelism();
  }

  list(): string[] {
    return [...this.projections.keys()];
  }

  async prepare(): Promise<void> {
    for (const projection of this.projections.values()) await this.store.prepare(projection);
  }

  /** Runs every projection in this process: one subscription, and one batch applied to all of them per wake-up. */
  async start(): Promise<void> {
    if (this.loops.size) return;
    this.stopping = false;
    await this.prepare();
    for (const name of this.projections.keys()) this.loops.set(name, { applied: START, lastError: null });
    this.loopDone = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscription?.close();
    this.wake();
    await this.loopDone;
    this.loops.clear();
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.events.headPosition();
    const out: ProjectionStatus[] = [];
    for (const name of this.projections.keys()) {
      const checkpoint = await this.store.checkpoint(name);
      const lag = checkpoint.position >= head ? 0 : (await this.events.readAll({ after: checkpoint.position, maxCount: this.lagCountLimit })).length;
      const loop = this.loops.get(name);
      out.push({
        name,
        checkpoint: checkpoint.position,
        head,
        lag,
        lastUpdateAt: checkpoint.updatedAt,
        running: loop !== undefined,
        lastError: loop?.lastError ?? null,
      });
    }
    return out;
  }

  /**
   * Resolves when every projection's stored checkpoint is at or after `position`; rejects after timeoutMs.
   * Always judged on the stored checkpoints (one read): a rebuild swapped in by another process moves them.
   * When this process runs those projections, it waits for its own loop's commits and nothing else
   * (a slow safety poll aside); otherwise it polls, since the loop is elsewhere (projector, CLI rebuild).
   */
  async waitFor(position: GlobalPosition, options: { timeoutMs?: number; names?: readonly string[] } = {}): Promise<void> {
    if (position <= START) return;
    const deadline = performance.now() + (options.timeoutMs ?? 10_000);
    const names = options.names ?? this.list();
    for (;;) {
      const stored = await this.store.checkpoints(names);
      const behind = names.filter((_, i) => stored[i].position < position);
      if (!behind.length) return;
      const inProcess = behind.every((name) => this.loops.has(name));
      // a stored checkpoint behind what this process's loop applied: a rebuild was swapped in elsewhere; go back to it now
      if (names.some((name, i) => stored[i].position < (this.loops.get(name)?.applied ?? START))) void this.subscription?.close();
      const left = deadline - performance.now();
      if (left <= 0) throw new ProjectionLagError(behind, position);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, inProcess ? IN_PROCESS_SAFETY_POLL_MS : OTHER_PROCESS_POLL_MS));
        this.wakers.add(wake);
      });
    }
  }

  async rebuild(name: string | 'all', onProgress?: (progress: RebuildProgress) => void): Promise<RebuildReport[]> {
    const targets = name === 'all' ? [...this.projections.values()] : [this.projections.get(name)];
    if (targets.some((projection) => !projection)) throw new Error(`unknown projection ${name}; known: ${this.list().join(', ')}`);
    return this.rebuildTogether(targets as Projection[], onProgress, this.rebuildWorkers);
  }

  /** One replay of the log feeds every projection being rebuilt: each batch is read and decoded once and applied in one transaction. */
  private async rebuildTogether(projections: Projection[], onProgress?: (progress: RebuildProgress) => void, workers = 0): Promise<RebuildReport[]> {
    const label = projections.length === 1 ? projections[0].name : 'all';
    for (const projection of projections) {
      await this.store.prepare(projection);
      await this.store.prepareRebuild(projection);
    }
    const started = performance.now();
    let done = 0;
    let after = START;
    const report = (total: number): void => {
      const seconds = (performance.now() - started) / 1000;
      const eventsPerSecond = seconds > 0 ? Math.round(done / seconds) : 0;
      const etaSeconds = eventsPerSecond > 0 ? Math.max(0, (total - done) / eventsPerSecond) : 0;
      onProgress?.({ name: label, done, total, eventsPerSecond, etaSeconds: Math.round(etaSeconds * 10) / 10 });
    };
    let first: GlobalPosition | undefined;
    const replay = async (): Promise<void> => {
      const head = await this.events.headPosition();
      for (;;) {
        const batch = await this.events.readAll({ after, maxCount: this.rebuildBatchSize });
        if (!batch.length) break;
        const results = await this.store.applyBatches(
          projections.map((projection) => ({ projection, expectedAfter: after })),
          batch,
          'rebuild',
        );
        results.forEach((result, i) => {
          if (result.error !== undefined) throw result.error;
          if (result.rewoundTo !== undefined) throw new Error(`rebuild of ${projections[i].name} was moved by another process`);
        });
        if (this.stopping && this.loops.size) throw new Error('stopped');
        first ??= batch[0].position;
        after = batch[batch.length - 1].position;
        done += batch.length;
        report(estimatedTotalEvents(done, first, after, Math.max(head, after)));
        // let this process's API and live loop breathe between batches
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    try {
      // workers can only load the engine's own projections, by name
      const inWorkers = workers > 0 && this.store.replayInWorkers && projections.every((projection) => ALL_PROJECTIONS.includes(projection));
      const head = await this.events.headPosition();
      const offThread = inWorkers
        ? await this.store.replayInWorkers?.(projections, head, {
            workers: Math.min(workers, projections.length),
            batchSize: this.rebuildBatchSize,
            onProgress: (replayed) => {
              done = replayed;
              report(head - START);
            },
          })
        : undefined;
      if (offThread) {
        after = head;
        done = offThread.events;
      }
      await replay();
      const indexing = performance.now();
      for (const projection of projections) await this.store.finishRebuild(projection);
      const indexSeconds = (performance.now() - indexing) / 1000;
      // a second pass right before the swap keeps the gap it leaves tiny
      await replay();
      report(done);
      const reports: RebuildReport[] = [];
      for (const projection of projections) {
        const checkpoint = await this.store.swapRebuild(projection);
        reports.push({
          name: projection.name,
          events: done,
          seconds: (performance.now() - started) / 1000,
          checkpoint,
          indexSeconds,
          copySeconds: offThread?.copySeconds,
        });
      }
      // this process's loop goes back to the swapped-in checkpoints at once
      void this.subscription?.close();
      this.wake();
      return reports;
    } catch (error) {
      for (const projection of projections) await this.store.dropRebuild(projection).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The live loop: subscribes after the lowest checkpoint and hands each batch to every projection at
   * once (the store skips what a projection already holds). A projection that fails or was moved back
   * (a rebuild swapped in) sends the loop back to the lowest stored checkpoint, after a pause on failure.
   */
  private async run(): Promise<void> {
    const projections = [...this.projections.values()];
    const names = projections.map((projection) => projection.name);
    const states = names.map((name) => this.loops.get(name) as LoopState);
    let firstRound = true;
    while (!this.stopping) {
      let subscription: EventSubscription | undefined;
      let failed = false;
      try {
        const stored = await this.store.checkpoints(names);
        stored.forEach((checkpoint, i) => (states[i].applied = checkpoint.position));
        if (firstRound) {
          firstRound = false;
          const fresh = projections.filter((_, i) => states[i].applied === START);
          if (fresh.length && (await this.catchUpByRebuild(fresh))) continue;
        }
        if (this.stopping) break;
        subscription = this.events.subscribeToAll({ after: Math.min(...states.map((state) => state.applied)), batchSize: this.batchSize });
        this.subscription = subscription;
        // stop() may have come while the checkpoints were read: it could not close this one
        if (this.stopping) break;
        for await (const batch of subscription) {
          const results = await this.store.applyBatches(
            projections.map((projection, i) => ({ projection, expectedAfter: states[i].applied })),
            batch,
          );
          let resubscribe = false;
          results.forEach((result, i) => {
            if (result.error !== undefined) {
              states[i].lastError = (result.error as Error)?.message ?? String(result.error);
              failed = true;
            } else if (result.rewoundTo !== undefined) {
              resubscribe = true;
            } else {
              states[i].applied = result.checkpoint;
              states[i].lastError = null;
            }
          });
          this.wake();
          if (failed || resubscribe || this.stopping) break;
        }
      } catch (error) {
        for (const state of states) state.lastError = (error as Error).message;
        failed = true;
      } finally {
        await subscription?.close();
        if (this.subscription === subscription) this.subscription = undefined;
      }
      if (failed && !this.stopping) await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
    }
  }

  /** Replays projections that never ran as a rebuild when the log is long enough for that to pay; false when it did not. */
  private async catchUpByRebuild(projections: Projection[]): Promise<boolean> {
    if (this.store.kind !== 'sqlite' || this.catchUpAsRebuildFrom <= 0) return false;
    if ((await this.events.headPosition()) - START < this.catchUpAsRebuildFrom) return false;
    try {
      await this.rebuildTogether(projections);
      return true;
    } catch (error) {
      // e.g. stopped, or a rebuild from another process got in the way: the live catch-up takes over
      for (const projection of projections) {
        const state = this.loops.get(projection.name);
        if (state && !this.stopping) state.lastError = `catch-up by rebuild: ${(error as Error).message}`;
      }
      return false;
    }
  }

  private wake(): void {
    for (const wake of [...this.wakers]) wake();
  }
}

/**
 * Events in the log from `first` to `head`, given that `done` events spanned `first`..`after`:
 * exact when positions count events, as SQLite's rowids do; a proportion when they are byte
 * offsets into the log, as EventStoreDB's are.
 */
export function estimatedTotalEvents(done: number, first: GlobalPosition, after: GlobalPosition, head: GlobalPosition): number {
  if (after <= first) return done;
  return Math.max(done, 1 + Math.round(((done - 1) * (head - first)) / (after - first)));
}
