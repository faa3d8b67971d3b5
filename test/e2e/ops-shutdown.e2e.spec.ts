import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '@app/event-store';
import { Scheduler } from '@app/engine';
import { DAY_MS, ManualClock } from '@app/ledger';
import { startTestEngine } from '../support/engine';

describe('stopping the engine during a scheduler pass', () => {
  it('lets the pass finish before the stores close: every due lot is expired once', async () => {
    const clock = new ManualClock('2026-06-01T08:00:00.000Z');
    const engine = await startTestEngine({ clock });
    const customers = Array.from({ length: 150 }, () => randomUUID());
    await Promise.all(
      customers.map((customer) =>
        engine.http().post('/api/DEFAULT/points/transfer/add').set({ Authorization: `Bearer ${engine.token}` }).send({ transfer: { customer, points: 1, validityDays: 1 } }).expect(200),
      ),
    );
    await engine.infrastructure.runner.waitFor(await engine.infrastructure.eventStore.headPosition());
    clock.advance(2 * DAY_MS);

    const pass = engine.app.get(Scheduler).tick();
    await engine.close({ keepData: true });
    await pass;

    const db = openSqlite(join(engine.dataDir, 'loyalty.db'));
    const expired = db.prepare(`SELECT COUNT(*) AS n FROM events WHERE type = 'PointsExpired'`).get() as { n: number };
    db.close();
    rmSync(engine.dataDir, { recursive: true, force: true });
    expect(expired.n).toBe(customers.length);
  });
});
