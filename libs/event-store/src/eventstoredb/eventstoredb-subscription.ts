import { AllStreamResolvedEvent, AllStreamSubscription } from '@eventstore/db-client';
import type { EventSubscription, GlobalPosition, StoredEvent } from '../event-store.port';
import { toStoredEvent } from './eventstoredb-mapping';

/**
 * Turns the client's event-at-a-time catch-up subscription into our batches: next() hands over
 * whatever has arrived (at most batchSize), or waits for the next event.
 */
export class EventStoreDbSubscription implements EventSubscription {
  private readonly buffer: StoredEvent[] = [];
  private closed = false;
  private ended = false;
  private failure: Error | undefined;
  private wakeReader: (() => void) | undefined;
  /** the reads asked for so far, served one after the other as the SQLite adapter's generator does */
  private reads: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly subscription: AllStreamSubscription,
    private readonly after: GlobalPosition,
    private readonly batchSize: number,
    private readonly onClose: (closed: EventStoreDbSubscription) => void = () => undefined,
  ) {
    subscription.on('data', (resolved: AllStreamResolvedEvent) => this.receive(resolved));
    subscription.on('error', (error: Error) => {
      this.failure = error;
      this.wake();
    });
    const ended = (): void => {
      this.ended = true;
      this.wake();
    };
    subscription.on('end', ended);
    // A stream destroyed without an error emits close but no end; the reader must still finish.
    subscription.on('close', ended);
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredEvent[]> {
    return {
      next: () => {
        const read = this.reads.then(() => this.next());
        this.reads = read.catch(() => undefined);
        return read;
      },
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.onClose(this);
    try {
      await this.subscription.unsubscribe();
    } catch {
      // The call never started (e.g. cluster discovery failed): there is nothing left to cancel,
      // and a rejecting close would escape the callers' finally blocks and end the process.
    }
  }

  private async next(): Promise<IteratorResult<StoredEvent[]>> {
    for (;;) {
      if (this.closed) return { done: true, value: undefined };
      if (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.batchSize);
        if (this.subscription.isPaused() && this.buffer.length < this.batchSize) this.subscription.resume();
        return { done: false, value: batch };
      }
      if (this.failure) throw this.failure;
      if (this.ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  private receive(resolved: AllStreamResolvedEvent): void {
    // The checkpoint event itself was delivered before; a resumed subscription must not repeat it.
    if (!resolved.event || Number(resolved.event.position.commit) <= this.after) return;
    this.buffer.push(toStoredEvent(resolved.event));
    // Bounded buffer: stop the gRPC stream while the consumer is behind.
    if (this.buffer.length >= this.batchSize * 2) this.subscription.pause();
    this.wake();
  }

  private wake(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }
}
