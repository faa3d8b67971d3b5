import { HitWindowThrottlerStorage } from './throttler-storage';

describe('HitWindowThrottlerStorage', () => {
  let now: number;
  let storage: HitWindowThrottlerStorage;
  const TTL = 60_000;

  beforeEach(() => {
    now = 1_000_000;
    storage = new HitWindowThrottlerStorage(() => now);
  });
  afterEach(() => storage.onApplicationShutdown());

  it('counts hits inside the window and blocks the one past the limit for blockDuration', () => {
    expect(storage.hit('k', TTL, 3, TTL, 'default')).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: expect.any(Number) });
    now += 10;
    storage.hit('k', TTL, 3, TTL, 'default');
    storage.hit('k', TTL, 3, TTL, 'default');
    const fourth = storage.hit('k', TTL, 3, TTL, 'default');
    expect(fourth).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 60 });
    // blocked: further requests are refused and not counted
    now += 30_000;
    expect(storage.hit('k', TTL, 3, TTL, 'default')).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 30 });
    // the block is over: this request is the first hit of a fresh window
    now += 30_000;
    expect(storage.hit('k', TTL, 3, TTL, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('lets each hit expire exactly ttl after it happened (a sliding window, not a fixed one)', () => {
    storage.hit('k', TTL, 10, TTL, 'default'); // expires at +60,000
    now += 40_000;
    storage.hit('k', TTL, 10, TTL, 'default'); // expires at +100,000
    now += 19_999;
    expect(storage.hit('k', TTL, 10, TTL, 'default').totalHits).toBe(3);
    now += 1; // the first hit is gone now
    expect(storage.hit('k', TTL, 10, TTL, 'default').totalHits).toBe(3);
    now += 40_000; // the second one too
    expect(storage.hit('k', TTL, 10, TTL, 'default').totalHits).toBe(3);
  });

  it('keeps keys and throttler names apart', () => {
    for (let i = 0; i < 5; i++) storage.hit('a', TTL, 5, TTL, 'default');
    expect(storage.hit('a', TTL, 5, TTL, 'default').isBlocked).toBe(true);
    expect(storage.hit('b', TTL, 5, TTL, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
    storage.hit('c', TTL, 5, TTL, 'default');
    expect(storage.hit('c', TTL, 5, TTL, 'burst')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('without a block duration refuses past the limit until the oldest hit expires', () => {
    storage.hit('k', 1_000, 2, 0, 'default');
    now += 500;
    storage.hit('k', 1_000, 2, 0, 'default');
    expect(storage.hit('k', 1_000, 2, 0, 'default')).toMatchObject({ totalHits: 3, isBlocked: true, timeToBlockExpire: 1 });
    now += 500;
    expect(storage.hit('k', 1_000, 2, 0, 'default')).toMatchObject({ totalHits: 2, isBlocked: false });
  });

  it('counts many hits in the same millisecond exactly and lets them all expire together', () => {
    for (let i = 0; i < 10_000; i++) storage.hit('k', TTL, 1_000_000, TTL, 'default');
    now += 1;
    for (let i = 0; i < 10_000; i++) now += 1, storage.hit('k', TTL, 1_000_000, TTL, 'default');
    expect(storage.hit('k', TTL, 1_000_000, TTL, 'default').totalHits).toBe(20_001);
    now = 1_000_000 + TTL; // the first 10,000 expire
    expect(storage.hit('k', TTL, 1_000_000, TTL, 'default').totalHits).toBe(10_002);
  });

  it('sweeps keys whose hits have all expired', () => {
    storage.hit('idle', TTL, 5, TTL, 'default');
    now += 10_000;
    storage.hit('busy', TTL, 5, TTL, 'default');
    now += 55_000;
    storage.sweep();
    expect(storage.size).toBe(1);
  });
});
