import { Inject, Injectable } from '@nestjs/common';
import { PROJECTION_PROGRESS, ProjectionProgress } from './tokens';

/**
 * The newest global position this process appended. Reads call `caughtUp()` first, so a client
 * that wrote and then reads sees its own write (read-your-writes).
 */
@Injectable()
export class ProgressTracker {
  private last = -1;

  constructor(@Inject(PROJECTION_PROGRESS) private readonly projections: ProjectionProgress) {}

  appended(position: number): void {
    if (position > this.last) this.last = position;
  }

  /** Resolves once every projection has applied everything this process appended. */
  caughtUp(): Promise<void> {
    return this.projections.waitFor(this.last);
  }
}
