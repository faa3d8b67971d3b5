import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, SqliteEventStore, StoredEvent } from '@app/event-store';
import { clientToken, EngineProcess, spawnEngine } from '../support/engine-process';
import { writeLargeImportFile } from '../support/xml-fixtures';

const ITEMS = 10_000;

/** Every PointsAdded in the log, read from the engine's SQLite file (WAL lets us read while it runs). */
async function pointsAdded(dataDir: string): Promise<StoredEvent[]> {
  const db = openSqlite(join(dataDir, 'loyalty.db'));
  try {
    const store = new SqliteEventStore(db);
    return (await store.readAll()).filter((event) => event.type === 'PointsAdded');
  } finally {
    db.close();
  }
}

describe('an XML import killed halfway, retried with its Idempotency-Key', () => {
  let dataDir: string;
  let engine: EngineProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'loyalty-import-kill-'));
  });

  afterAll(async () => {
    // also after a failed expectation: a live engine process would keep jest waiting
    await engine?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('applies every item exactly once and answers the retry, then replays that answer', async () => {
    const customers = Array.from({ length: 20 }, () => randomUUID());
    const file = join(dataDir, 'points.xml');
    await writeLargeImportFile(file, ITEMS, customers);
    const key = randomUUID();
    const importKeyed = async (url: string): Promise<Response> => {
      const form = new FormData();
      form.append('file[file]', new Blob([readFileSync(file)], { type: 'application/xml' }), 'points.xml');
      return fetch(`${url}/api/DEFAULT/points/transfer/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await clientToken(url)}`, 'idempotency-key': key },
        body: form,
      });
    };

    engine = await spawnEngine(dataDir);
    const firstAttempt = importKeyed(engine.url).catch(() => 'connection cut');
    let storedBeforeKill = 0;
    for (const deadline = Date.now() + 120_000; storedBeforeKill < ITEMS / 10; ) {
      if (Date.now() > deadline) throw new Error(`only ${storedBeforeKill} items were stored within 120 s`);
      await new Promise((r) => setTimeout(r, 50));
      storedBeforeKill = (await pointsAdded(dataDir)).length;
    }
    await engine.kill('SIGKILL');
    expect(await firstAttempt).toBe('connection cut');
    const halfway = (await pointsAdded(dataDir)).length;
    expect(halfway).toBeGreaterThan(0);
    expect(halfway).toBeLessThan(ITEMS);

    engine = await spawnEngine(dataDir);
    // the first attempt's claim is taken over once its lease (30 s) has passed
    const retried = await importKeyed(engine.url);
    expect(retried.status).toBe(200);
    const answer = await retried.text();
    expect(JSON.parse(answer)).toMatchObject({ totalProcessed: ITEMS, totalSuccess: ITEMS, totalFailed: 0 });

    const added = await pointsAdded(dataDir);
    expect(added).toHaveLength(ITEMS);
    expect(new Set(added.map((event) => (event.data as { transferId: string }).transferId)).size).toBe(ITEMS);
    const replay = await importKeyed(engine.url);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.text()).toBe(answer);
    expect(await pointsAdded(dataDir)).toHaveLength(ITEMS);
    // two engine starts, a 30 s lease and 10,000 items twice: more than jest's default on a busy machine
  }, 300_000);
});
