import { Injectable } from '@nestjs/common';

/**
 * The newest global position this process appended. Queries wait until projections have
 * applied it, so a client that wrote and then reads sees its own write (read-your-writes).
 */
@Injectable()
export class ProgressTracker {
  private last = -1;

  appended(position: number): void {
    if (position > this.last) this.last = position;
  }

  get lastAppended(): number {
    return this.last;
  }
}
