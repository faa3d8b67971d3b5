import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EventSubscription, StoredEvent } from '@app/event-store';
import { parsePointsAccountStream, PointsSpent } from '@app/ledger';
import type { Projection } from '@app/read-models';
import type { Infrastructure } from '../infrastructure';
import { runInContext } from '../request-context';
import { PointsService } from './points.service';


/** Writes no view: it only gives the process manager a checkpoint kept like every projection's. */
export const p2pProcessManagerCheckpoint: Projection = {
  name: 'p2p-process-manager',
  collections: [],
  apply: () => undefined,
};

/**
 * Completes peer-to-peer transfers: for every stored p2p_spending it makes sure the receiver is
 * credited. The API does this step at once; this catches the transfers a crash cut in two. The
 * receiver's step is keyed by p2pId, so repeating it (at-least-once delivery) credits once.
 */
@Injectable()
export class P2PProcessManager {
  private readonly logger = new Logger(P2PProcessManager.name);
  private subscription?: EventSubscription;
  private loop?: Promise<void>;
  private stopped = true;

  constructor(
    private readonly points: PointsService,
    @Inject(Symbol.for('Infrastructure')) private readonly infrastructure: Infrastructure,
  ) {}

  start(retryDelayMs: number): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run(Math.min(retryDelayMs, 5_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    await this.loop;
  }

  /** Follows the store from the checkpoint until stopped; resumes from the checkpoint after an error. */
  private async run(retryDelayMs: number): Promise<void> {
    const { projectionStore, eventStore } = this.infrastructure;
    await projectionStore.prepare(p2pProcessManagerCheckpoint);
    while (!this.stopped) {
      try {
        let after = (await projectionStore.checkpoint(p2pProcessManagerCheckpoint.name)).position;
        this.subscription = eventStore.subscribeToAll({ after });
        for await (const batch of this.subscription) {
          for (const event of batch) await this.handle(event);
          const result = await projectionStore.applyBatch(p2pProcessManagerCheckpoint, batch, after);
          if (result.rewoundTo !== undefined) break;
          after = result.checkpoint;
        }
      } catch (error) {
        this.logger.error(`p2p process manager: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, retryDelayMs));
      }
    }
  }

  private async handle(event: StoredEvent): Promise<void> {
    if (event.type !== 'PointsSpent') return;
    const spent = { type: 'PointsSpent', data: event.data } as PointsSpent;
    if (spent.data.type !== 'p2p_spending') return;
    const sender = parsePointsAccountStream(event.streamId);
    if (!sender) return;
    await runInContext({ issuer: 'system', actor: 'p2p-process-manager', correlationId: String(event.metadata.correlationId ?? event.id), causationId: event.id }, () =>
      this.points.completeP2P(sender, spent),
    );
  }
}
