import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, SqliteEventStore } from '@app/event-store';
import { ALL_PROJECTIONS, ProjectionRunner, SqliteProjectionStore, sqliteTableName } from '@app/read-models';
import { clientToken, EngineProcess, spawnEngine } from '../support/engine-process';
import { dumpViews } from '../support/views';


describe('crash safety of the embedded profile', () => {
  let dataDir: string;
  let engine: EngineProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'loyalty-crash-'));
  });
  afterAll(async () => {
    await engine?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('kill -9 while clients append: every acknowledged append survives and projections resume to what a rebuild from 0 gives', async () => {
    engine = await spawnEngine(dataDir);
    const token = await clientToken(engine.url);
    const customers = Array.from({ length: 20 }, () => randomUUID());
    const acknowledged: string[] = [];
    let stop = false;

    // 8 clients append as fast as they can until the process disappears under them
    const client = async (worker: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          const response = await fetch(`${engine!.url}/api/DEFAULT/points/transfer/add`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ transfer: { customer: customers[(worker + i) % customers.length], points: 1 + (i % 5) } }),
          });
          if (response.status === 200) acknowledged.push(((await response.json()) as { pointsTransferId: string }).pointsTransferId);
        } catch {
          return; // connection refused or reset: the process is gone
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, w) => client(w));
    while (acknowledged.length < 400) await new Promise((r) => setTimeout(r, 5));
    await engine.kill('SIGKILL');
    stop = true;
    await Promise.all(clients);
    expect(acknowledged.length).toBeGreaterThanOrEqual(400);

    // restart on the same file: the projector resumes from its checkpoints
    engine = await spawnEngine(dataDir);
    const path = join(dataDir, 'loyalty.db');
    const db = openSqlite(path);
    const events = new SqliteEventStore(db);
    const runner = new ProjectionRunner(events, new SqliteProjectionStore(db));
    const stored = new Set((await events.readAll()).filter((e) => e.type === 'PointsAdded').map((e) => (e.data as { transferId: string }).transferId));
    const lost = acknowledged.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);

    await runner.waitFor(await events.headPosition(), { timeoutMs: 30_000 });
    await engine.kill('SIGTERM');
    engine = undefined;
    const resumed = dumpViews(path);

    await runner.rebuild('all');
    await events.close();
    db.close();
    const rebuilt = dumpViews(path);
    expect(Object.keys(resumed).length).toBeGreaterThanOrEqual(5);
    expect(resumed).toEqual(rebuilt);

    // and the balances the views hold are the fold of the stored events
    const check = openSqlite(path);
    const total = (check.prepare(`SELECT SUM(available) AS s FROM "${sqliteTableName(ALL_PROJECTIONS.find((p) => p.name === 'accounts')!.collections[0])}"`).get() as { s: number }).s;
    const added = (check.prepare(`SELECT data FROM events WHERE type = 'PointsAdded'`).all() as { data: string }[]).reduce((sum, row) => sum + (JSON.parse(row.data) as { points: number }).points, 0);
    check.close();
    expect(total).toBe(added);
  });
});
