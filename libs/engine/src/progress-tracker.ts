import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EventStore } from '@app/event-store';
import type { EngineConfig } from './config';
import { ENGINE_CONFIG, EVENT_STORE, PROJECTION_PROGRESS, ProjectionProgress } from './tokens';

/**
 * Read-your-writes. Reads call `caughtUp()` first, which waits until every projection's stored
 * checkpoint (wherever the projections run) has reached:
 * - embedded profile: the newest position this process appended; it is the only writer, so that is
 *   everything a client of it can have written, and it costs nothing to know;
 * - distributed profile: the event store's head as it was when the read began, so a read on replica B
 *   sees a write replica A acknowledged before the read started. Chosen over a position token the
 *   client would carry because no dialect has a place for one and clients retry across replicas.
 *   The price on an idle engine is one head query (PostgreSQL: `max(position)` over the primary key)
 *   plus the one checkpoint read waitFor does anyway: 0.6 ms per read on loopback (see README
 *   "Distributed profile"); under write load a read also waits for the projector to apply the writes
 *   of every replica that came before it, not only its own client's.
 */
@Injectable()
export class ProgressTracker {
  private last = -1;

  constructor(
    @Inject(PROJECTION_PROGRESS) private readonly projections: ProjectionProgress,
    // both absent (a test composing the services by hand): own appends
    @Optional() @Inject(EVENT_STORE) private readonly events?: EventStore,
    @Optional() @Inject(ENGINE_CONFIG) private readonly config?: Pick<EngineConfig, 'readsWaitFor'>,
  ) {}

  appended(position: number): void {
    if (position > this.last) this.last = position;
  }

  /**
   * Resolves once every projection has applied what a read started now must see. Projections that
   * do not get there in time (the projector is down or far behind) reject with ProjectionLagError,
   * which the API answers 503 with Retry-After: the client may retry, and never gets an answer
   * without its own write.
   */
  async caughtUp(): Promise<void> {
    const position = this.config?.readsWaitFor === 'head' && this.events ? Math.max(await this.events.headPosition(), this.last) : this.last;
    await this.projections.waitFor(position);
  }
}
