import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { EventSubscription, GlobalPosition, StoredEvent } from '../event-store.port';

export interface SqliteSubscriptionSource {
  /** exclusive checkpoint to start after */
  after: GlobalPosition;
  batchSize: number;
  /** fallback for appends made by other processes, which cannot wake us */
  pollIntervalMs: number;
  readAfter(after: GlobalPosition, maxCount: number): StoredEvent[];
  /** registers a one-shot waker called on the next in-process append; returns its removal */
  waitForAppend(wake: () => void): () => void;
  onClose(subscription: SqliteSubscription): void;
}

/**
 * Catch-up then live subscription over the events table: reads batches after its position
 * until none is left, then sleeps until an append through the same store wakes it
 * or the fallback poll fires.
 */
export class SqliteSubscription implements EventSubscription {
  private position: GlobalPosition;
  private closed = false;
  private wakeNow: (() => void) | undefined;
  private iterating = false;

  constructor(private readonly source: SqliteSubscriptionSource) {
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
        const batch = this.source.readAfter(this.position, this.source.batchSize);
        if (batch.length === 0) {
          // Registered synchronously after the empty read, so no in-process append can slip between.
          await this.nextAppendOrPoll();
          continue;
        }
        this.position = batch[batch.length - 1].position;
        yield batch;
        // Let timers and I/O run between batches, so a long catch-up does not starve the API in this process.
        await nextMacrotask();
      }
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
      const removeWaker = this.source.waitForAppend(wake);
      this.wakeNow = wake;
    });
  }
}
