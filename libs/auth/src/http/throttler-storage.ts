import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

/** What ThrottlerGuard reads back from its storage (the library's ThrottlerStorageRecord). */
export interface ThrottleOutcome {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * The hits of one throttler in one key's window, oldest first: runs of hits that expire in the same
 * millisecond share one slot, and expired ones leave from the front, so a request costs O(1)
 * amortized however many hits the window holds (the library's in-memory storage copies every
 * live hit's expiry on every request).
 */
class HitWindow {
  private readonly expiries: number[] = [];
  private readonly counts: number[] = [];
  private head = 0;
  total = 0;

  add(expiresAt: number): void {
    const last = this.expiries.length - 1;
    if (last >= this.head && this.expiries[last] === expiresAt) this.counts[last] += 1;
    else {
      this.expiries.push(expiresAt);
      this.counts.push(1);
    }
    this.total += 1;
  }

  /** Drops hits whose expiry is not after `now`. */
  prune(now: number): void {
    while (this.head < this.expiries.length && this.expiries[this.head] <= now) {
      this.total -= this.counts[this.head];
      this.head += 1;
    }
    if (this.head === this.expiries.length) this.clear();
    else if (this.head >= 1024 && this.head * 2 >= this.expiries.length) {
      this.expiries.splice(0, this.head);
      this.counts.splice(0, this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.expiries.length = 0;
    this.counts.length = 0;
    this.head = 0;
    this.total = 0;
  }

  /** expiry of the oldest live hit */
  get oldest(): number | undefined {
    return this.head < this.expiries.length ? this.expiries[this.head] : undefined;
  }
}

interface KeyRecord {
  expiresAt: number;
  blockExpiresAt: number;
  isBlocked: boolean;
  windows: Map<string, HitWindow>;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * In-memory storage for @nestjs/throttler with the library's own semantics (a hit counts for `ttl`
 * ms after it happened; past `limit` the key is blocked for `blockDuration` ms), at constant cost
 * per request. Idle keys are swept once a minute.
 */
@Injectable()
export class HitWindowThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly records = new Map<string, KeyRecord>();
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottleOutcome> {
    return this.hit(key, ttl, limit, blockDuration, throttlerName);
  }

  /** The synchronous core of `increment`. */
  hit(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): ThrottleOutcome {
    this.startSweeping();
    const now = this.now();
    let record = this.records.get(key);
    if (!record) {
      record = { expiresAt: now + ttl, blockExpiresAt: 0, isBlocked: false, windows: new Map() };
      this.records.set(key, record);
    }
    let window = record.windows.get(throttlerName);
    if (!window) record.windows.set(throttlerName, (window = new HitWindow()));
    window.prune(now);

    let timeToExpire = Math.ceil((record.expiresAt - now) / 1000);
    if (timeToExpire <= 0) {
      record.expiresAt = now + ttl;
      timeToExpire = Math.ceil(ttl / 1000);
    }

    if (blockDuration <= 0) {
      const isBlocked = window.total >= limit;
      if (!isBlocked) window.add(now + ttl);
      const oldest = window.oldest;
      return {
        totalHits: window.total + (isBlocked ? 1 : 0),
        timeToExpire,
        isBlocked,
        timeToBlockExpire: isBlocked ? (oldest !== undefined ? Math.ceil((oldest - now) / 1000) : timeToExpire) : 0,
      };
    }

    if (!record.isBlocked) window.add(now + ttl);
    if (window.total > limit && !record.isBlocked) {
      record.isBlocked = true;
      record.blockExpiresAt = now + blockDuration;
    }
    const timeToBlockExpire = Math.ceil((record.blockExpiresAt - now) / 1000);
    if (timeToBlockExpire <= 0 && record.isBlocked) {
      // the block is over: start afresh with this request as the first hit
      record.isBlocked = false;
      window.clear();
      window.add(now + ttl);
    }
    return { totalHits: window.total, timeToExpire, isBlocked: record.isBlocked, timeToBlockExpire };
  }

  /** Forgets keys with no live hit and no running block. */
  sweep(now = this.now()): void {
    for (const [key, record] of this.records) {
      if (record.isBlocked && record.blockExpiresAt > now) continue;
      if (record.expiresAt > now) continue;
      let live = false;
      for (const window of record.windows.values()) {
        window.prune(now);
        if (window.total > 0) live = true;
      }
      if (!live) this.records.delete(key);
    }
  }

  get size(): number {
    return this.records.size;
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.records.clear();
  }

  private startSweeping(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }
}
