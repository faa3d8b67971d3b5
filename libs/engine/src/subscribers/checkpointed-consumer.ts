import { Logger } from '@nestjs/common';
import type { EventStore, EventSubscription, StoredEvent } from '@app/event-store';
import type { ConsumerCheckpoints } from './subscriber-store.port';

/**
 * A consumer of the event store with its own durable checkpoint (emmett's checkpointer): it
 * handles each event after the checkpoint, then moves the checkpoint compare-and-set. A crash
 * between the two hands the batch over again, so handlers must be idempotent (at-least-once).
 */
export class CheckpointedConsumer {
  private readonly logger: Logger;
  private subscription?: EventSubscription;
  private loop?: Promise<void>;
  private stopped = true;

  constructor(
    readonly name: string,
    private readonly events: EventStore,
    private readonly checkpoints: ConsumerCheckpoints,
    private readonly handle: (event: StoredEvent) => Promise<void>,
  ) {
    this.logger = new Logger(`consumer:${name}`);
  }

  get running(): boolean {
    return !this.stopped;
  }

  start(retryDelayMs: number): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run(retryDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    await this.loop;
  }

  private async run(retryDelayMs: number): Promise<void> {
    while (!this.stopped) {
      try {
        let after = await this.checkpoints.readCheckpoint(this.name);
        this.subscription = this.events.subscribeToAll({ after });
        for await (const batch of this.subscription) {
          for (const event of batch) await this.handle(event);
          const next = batch[batch.length - 1].position;
          // another process (or an operator) moved it: start over from where it now stands
          if (!(await this.checkpoints.storeCheckpoint(this.name, after, next))) break;
          after = next;
          if (this.stopped) break;
        }
      } catch (error) {
        this.logger.error(`${this.name}: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, retryDelayMs));
      }
    }
  }
}
