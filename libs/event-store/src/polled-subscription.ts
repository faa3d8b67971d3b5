import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { EventSubscription, GlobalPosition, StoredEvent } from './event-store.port';

/**
 * Wakes a store's live subscriptions when an append is signalled (an in-process append, a NOTIFY).
 * The generation tells a subscription that a signal came while its read was in flight, so it reads
 * again instead of sleeping on it.
 */
export class AppendSignal {
  generation = 0;
  private readonly waiters = new Set<() => void>();

  notify(): void {
    this.generation += 1;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** registers a one-shot waker; returns its removal */
  wait(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }
}

export interface PolledSubscriptionSource {
  /** exclusive checkpoint to start after */
  after: GlobalPosition;
  batchSize: number;
  /** safety net for appends no signal reports (another process's, a lost notification) */
  pollIntervalMs: number;
  signal: AppendSignal;
  /** called before every read, e.g. to LISTEN again, so an append committed after the read cannot go unnoticed */
  beforeRead?(): Promise<void>;
  /** events strictly after `after`, in global order; positions must become visible in order */
  readAfter(after: GlobalPosition, maxCount: number): StoredEvent[] | Promise<StoredEvent[]>;
  onClose(subscription: PolledSubscription): void;
}

/**
 * Catch-up then live subscription over an events table: reads batches after its position until none
 * is left, then sleeps until an append is signalled or the safety poll fires. The SQLite and
 * PostgreSQL adapters differ only in their source.
 */
export class PolledSubscription implements EventSubscription {
  private position: GlobalPosition;
  private closed = false;
  private wakeNow: (() => void) | undefined;
  private iterating = false;

  constructor(private readonly source: PolledSubscriptionSource) {
    this.position = source.after;
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredEvent[]> {
    // One position, one reader: a second iterator would silently split the batches between them.
    if (this.iterating) throw new Error('a subscription can be iterated only once; subscribe again instead');
    this.iterating = true;
    return this.deliver();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeNow?.();
    this.source.onClose(this);
  }

  private async *deliver(): AsyncGenerator<StoredEvent[]> {
    try {
      while (!this.closed) {
        await this.source.beforeRead?.();
        const seen = this.source.signal.generation;
        const batch = await this.source.readAfter(this.position, this.source.batchSize);
        if (this.closed) break;
        if (batch.length === 0) {
          if (this.source.signal.generation === seen) await this.nextAppendOrPoll();
          continue;
        }
        this.position = batch[batch.length - 1].position;
        yield batch;
        // Let timers and I/O run between batches, so a long catch-up does not starve the API in this process.
        await nextMacrotask();
      }
    } catch (error) {
      // a read cut short by close() (the store ending its connections) is the end asked for, not a failure
      if (!this.closed) throw error;
    } finally {
      // A consumer that breaks out of for-await is done with the subscription too.
      await this.close();
    }
  }

  private nextAppendOrPoll(): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(poll);
        removeWaker();
        this.wakeNow = undefined;
        resolve();
      };
      const poll = setTimeout(wake, this.source.pollIntervalMs);
      const removeWaker = this.source.signal.wait(wake);
      this.wakeNow = wake;
    });
  }
}
