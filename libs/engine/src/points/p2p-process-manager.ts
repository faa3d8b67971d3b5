import { Inject, Injectable } from '@nestjs/common';
import type { StoredEvent } from '@app/event-store';
import { parsePointsAccountStream, PointsSpent } from '@app/ledger';
import type { Infrastructure } from '../infrastructure';
import { runInContext } from '../request-context';
import { CheckpointedConsumer } from '../subscribers/checkpointed-consumer';
import type { SubscriberStore } from '../subscribers/subscriber-store.port';
import { SUBSCRIBER_STORE } from '../subscribers/webhook-dispatcher';
import { PointsService } from './points.service';

export const P2P_PROCESS_MANAGER = 'p2p-process-manager';

/**
 * Completes peer-to-peer transfers: for every stored p2p_spending it makes sure the receiver is
 * credited. The API does this step at once; this catches the transfers a crash cut in two. The
 * receiver's step is keyed by p2pId, so repeating it (at-least-once delivery) credits once.
 * A checkpointed consumer with a checkpoint of its own.
 */
@Injectable()
export class P2PProcessManager {
  private readonly consumer: CheckpointedConsumer;

  constructor(
    private readonly points: PointsService,
    @Inject(Symbol.for('Infrastructure')) private readonly infrastructure: Infrastructure,
    @Inject(SUBSCRIBER_STORE) private readonly checkpoints: SubscriberStore,
  ) {
    this.consumer = new CheckpointedConsumer(P2P_PROCESS_MANAGER, infrastructure.eventStore, checkpoints, (event) => this.handle(event));
  }

  start(retryDelayMs: number): void {
    if (this.consumer.running) return;
    void this.carryOverCheckpoint().then(() => this.consumer.start(Math.min(retryDelayMs, 5_000)));
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }

  /** Before it was a consumer it kept a checkpoint among the projections': start from there, not from 0. */
  private async carryOverCheckpoint(): Promise<void> {
    try {
      if ((await this.checkpoints.readCheckpoint(P2P_PROCESS_MANAGER)) !== -1) return;
      const old = await this.infrastructure.projectionStore.checkpoint(P2P_PROCESS_MANAGER);
      if (old.position > -1) await this.checkpoints.storeCheckpoint(P2P_PROCESS_MANAGER, -1, old.position);
    } catch {
      // no old checkpoint to carry over: completing again from 0 credits nobody twice
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
