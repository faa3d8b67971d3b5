import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { openSqlite, SqliteDatabase } from '@app/event-store';
import { describeWithServer, mongoUri } from '../../../../test/support/servers';
import type { LeaseStore } from './lease.port';
import { MongoLeaseStore } from './mongo-lease-store';
import { SqliteLeaseStore } from './sqlite-lease-store';

const TTL = 10_000;

/** Wall time every "process" of a test reads; moved by hand so a lease runs out without waiting. */
class TestTime {
  ms = Date.parse('2026-06-01T00:00:00.000Z');
  readonly now = (): number => this.ms;
}

/** Each call opens the store on its own connection, as another process would. */
type OpenProcess = (time: TestTime) => Promise<LeaseStore>;

function leaseContract(open: () => { process: OpenProcess; close(): Promise<void> }): void {
  let time: TestTime;
  let processes: ReturnType<typeof open>;
  const name = () => `scheduler-${randomUUID()}`;

  beforeEach(() => {
    time = new TestTime();
    processes = open();
  });
  afterEach(() => processes.close());

  it('the first process takes the lease; another is refused while it lasts; the holder renews it', async () => {
    const [a, b] = [await processes.process(time), await processes.process(time)];
    const lease = name();

    expect(await a.acquire(lease, 'a', TTL)).toBe(true);
    expect(await b.acquire(lease, 'b', TTL)).toBe(false);
    time.ms += TTL - 1;
    expect(await a.acquire(lease, 'a', TTL)).toBe(true);
    time.ms += TTL - 1;
    expect(await b.acquire(lease, 'b', TTL)).toBe(false);
    expect(await b.current(lease)).toMatchObject({ holder: 'a', expiresAt: time.ms + 1 });
  });

  it('processes racing for a free lease: exactly one gets it', async () => {
    const racers = await Promise.all(Array.from({ length: 6 }, () => processes.process(time)));
    const lease = name();

    const won = await Promise.all(racers.map((store, i) => store.acquire(lease, `p${i}`, TTL)));

    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await racers[0].current(lease))?.holder).toBe(`p${won.indexOf(true)}`);
  });

  it('a dead holder stops renewing: its lease is taken over once expired, and the old holder is refused after', async () => {
    const [dead, survivor] = [await processes.process(time), await processes.process(time)];
    const lease = name();
    await dead.acquire(lease, 'dead', TTL);

    time.ms += TTL - 1;
    expect(await survivor.acquire(lease, 'survivor', TTL)).toBe(false);
    time.ms += 1;
    expect(await survivor.acquire(lease, 'survivor', TTL)).toBe(true);
    expect(await dead.acquire(lease, 'dead', TTL)).toBe(false);
  });

  it('a released lease is free for another process at once', async () => {
    const [a, b] = [await processes.process(time), await processes.process(time)];
    const lease = name();
    await a.acquire(lease, 'a', TTL);

    await b.release(lease, 'b');
    expect(await b.acquire(lease, 'b', TTL)).toBe(false);
    await a.release(lease, 'a');
    expect(await b.acquire(lease, 'b', TTL)).toBe(true);
  });

  it('processes that renew, stall and race at random never hold the lease at the same time', async () => {
    const stores = await Promise.all(Array.from({ length: 3 }, () => processes.process(time)));
    const lease = name();
    // every granted acquire means: this holder may act from the moment it asked until asked + TTL
    const granted: Array<{ holder: string; from: number; until: number }> = [];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

    for (let round = 0; round < 60; round++) {
      time.ms += Math.floor(random() * TTL * 1.2);
      const asked = time.ms;
      const contenders = stores.map((store, i) => ({ store, holder: `p${i}` })).filter(() => random() < 0.5);
      const results = await Promise.all(contenders.map(({ store, holder }) => store.acquire(lease, holder, TTL)));
      contenders.forEach(({ holder }, i) => results[i] && granted.push({ holder, from: asked, until: asked + TTL }));
    }

    const holders = new Set(granted.map((grant) => grant.holder));
    expect(holders.size).toBeGreaterThan(1);
    for (const [i, a] of granted.entries()) {
      for (const b of granted.slice(i + 1)) {
        if (a.holder !== b.holder) expect(b.from >= a.until || a.from >= b.until).toBe(true);
      }
    }
  });
}

describe('SqliteLeaseStore: leases in the embedded profile file', () => {
  leaseContract(() => {
    const dir = mkdtempSync(join(tmpdir(), 'leases-'));
    const dbs: SqliteDatabase[] = [];
    return {
      process: async (time) => {
        const db = openSqlite(join(dir, 'loyalty.db'));
        dbs.push(db);
        return new SqliteLeaseStore(db, time.now);
      },
      close: async () => {
        for (const db of dbs) db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describeWithServer('MongoLeaseStore: leases in the shared read store (FerretDB)', mongoUri, 'MONGODB_URI', () => {
  const database = `leases_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  afterAll(async () => {
    const client = await new MongoClient(mongoUri as string).connect();
    await client.db(database).dropDatabase();
    await client.close();
  });

  leaseContract(() => {
    const clients: MongoClient[] = [];
    return {
      process: async (time) => {
        const client = await new MongoClient(mongoUri as string).connect();
        clients.push(client);
        return new MongoLeaseStore(client.db(database), time.now);
      },
      close: async () => {
        for (const client of clients) await client.close();
      },
    };
  });
});
