/** Who holds a named lease, and until when (milliseconds since the epoch, the holder's wall clock). */
export interface Lease {
  name: string;
  holder: string;
  expiresAt: number;
}

/**
 * Leases in the store every process of a profile shares: one holder at a time per name, taken with a
 * compare-and-set, renewed by its holder, free for anyone once it expires. Expiry is judged on the
 * wall clocks of the processes, so hosts must keep their clocks within a small part of the lease time.
 */
export interface LeaseStore {
  /**
   * Takes `name` for `holder` until now + ttlMs when it is free, expired or already `holder`'s
   * (a renewal); true when `holder` holds it afterwards, false when someone else does.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once (a clean shutdown), if `holder` still has it. */
  release(name: string, holder: string): Promise<void>;
  current(name: string): Promise<Lease | undefined>;
}

/** Wall-clock milliseconds; a parameter so tests can let a lease run out without waiting. */
export type LeaseTime = () => number;
