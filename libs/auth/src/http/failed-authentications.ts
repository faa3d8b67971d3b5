import type { Clock } from '@app/ledger/clock';

export interface FailureBackoffPolicy {
  /** consecutive failures answered at once; each one after that makes the subject wait */
  freeFailures: number;
  /** the first wait; each further failure doubles it */
  firstDelayMs: number;
  maxDelayMs: number;
  /** a subject with no failure for this long starts over */
  forgetAfterMs: number;
  /** subjects remembered at most; the oldest are forgotten first, so a flood of ids cannot grow memory */
  maxSubjects: number;
}

export const DEFAULT_FAILURE_BACKOFF: FailureBackoffPolicy = {
  freeFailures: 5,
  firstDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxSubjects: 100_000,
};

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
  nextAttemptAt: number;
}

/**
 * Failed client authentications per subject (a client id, or an address for ids nobody holds).
 * After a few free failures each further one doubles the wait before the subject may try again,
 * which slows secret guessing for that client only; a success forgets its failures.
 */
export class FailedAuthentications {
  private readonly records = new Map<string, FailureRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly policy: FailureBackoffPolicy = DEFAULT_FAILURE_BACKOFF,
  ) {}

  /** How long the subject must still wait before an attempt is even checked; 0 when it may try now. */
  waitMs(subject: string): number {
    const record = this.current(subject);
    return record ? Math.max(0, record.nextAttemptAt - this.clock.now().getTime()) : 0;
  }

  failed(subject: string): void {
    const now = this.clock.now().getTime();
    const failures = (this.current(subject)?.failures ?? 0) + 1;
    const beyondFree = failures - this.policy.freeFailures;
    const delay = beyondFree < 0 ? 0 : Math.min(this.policy.firstDelayMs * 2 ** beyondFree, this.policy.maxDelayMs);
    // re-inserted so the map's order is oldest failure first
    this.records.delete(subject);
    this.records.set(subject, { failures, lastFailureAt: now, nextAttemptAt: now + delay });
    if (this.records.size > this.policy.maxSubjects) this.records.delete(this.records.keys().next().value as string);
  }

  succeeded(subject: string): void {
    this.records.delete(subject);
  }

  private current(subject: string): FailureRecord | undefined {
    const record = this.records.get(subject);
    if (record && this.clock.now().getTime() - record.lastFailureAt >= this.policy.forgetAfterMs) {
      this.records.delete(subject);
      return undefined;
    }
    return record;
  }
}
