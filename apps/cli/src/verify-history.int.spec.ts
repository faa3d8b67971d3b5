import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '@app/event-store';
import { Scheduler } from '@app/engine';
import { DAY_MS, ManualClock } from '@app/ledger';
import { startTestEngine } from '../../../test/support/engine';
import { run } from './main';

/** `loyalty verify` and `loyalty accounts history` over a data folder the real engine wrote through its API. */
describe('loyalty verify and accounts history', () => {
  const clock = new ManualClock('2026-05-04T09:00:00.000Z');
  const anna = randomUUID();
  const ben = randomUUID();
  let dataDir: string;
  let printed: string[];
  let spentTransfer: string;
  const previous = { ...process.env };

  const cli = async (...args: string[]): Promise<{ code: number; out: string }> => {
    printed = [];
    const code = await run(args);
    return { code, out: printed.join('\n') };
  };
  const sql = (statement: string, ...params: unknown[]) => {
    const db = openSqlite(join(dataDir, 'loyalty.db'));
    try {
      db.prepare(statement).run(...params);
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    const engine = await startTestEngine({ clock });
    dataDir = engine.dataDir;
    const auth = { Authorization: `Bearer ${engine.token}` };
    const post = (path: string, body: object) => engine.http().post(`/api/DEFAULT${path}`).set(auth).send(body);
    await post('/points/transfer/add', { transfer: { customer: anna, points: 50, validityDays: 10 } }).expect(200);
    await post('/points/transfer/add', { transfer: { customer: anna, points: 7, pendingDays: 2 } }).expect(200);
    spentTransfer = (await post('/points/transfer/spend', { transfer: { customer: anna, points: 12.5 } }).expect(200)).body.pointsTransferId;
    await post('/points/transfer/block', { transfer: { customer: anna, points: 3 } }).expect(200);
    const bensLot = (await post('/points/transfer/add', { transfer: { customer: ben, points: 20, validityDays: 1 } }).expect(200)).body.pointsTransferId;
    await post('/points/transfer/spend', { transfer: { customer: ben, points: 4 } }).expect(200);
    await post(`/points/transfer/${bensLot}/cancel`, {}).expect(200);
    clock.advance(3 * DAY_MS);
    await engine.app.get(Scheduler).tick();
    await engine.infrastructure.runner.waitFor(await engine.infrastructure.eventStore.headPosition());
    await engine.close({ keepData: true });
  });
  beforeEach(() => {
    process.env.LOYALTY_PROFILE = 'embedded';
    process.env.LOYALTY_DATA_DIR = dataDir;
    jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void printed.push(parts.join(' ')));
    jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void printed.push(parts.join(' ')));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...previous };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('exits 0 when every account and lot in the views agrees with the fold of the event log', async () => {
    const { code, out } = await cli('verify');
    expect(out).toMatch(/verified 2 accounts and 3 lots from \d+ events/);
    expect(out).toContain('views agree with the event log');
    expect(code).toBe(0);
  });

  it('reports a planted difference in the accounts view and in the lots view and exits 1', async () => {
    sql('UPDATE accounts SET available = available + 100 WHERE customerId = ?', anna);
    sql('UPDATE lots SET remaining = 1 WHERE customerId = ? AND points = 700', anna);
    const planted = await cli('verify');
    expect(planted.code).toBe(1);
    expect(planted.out).toContain(`default/DEFAULT/${anna}  accounts.available: view 42.50, ledger 41.50`);
    expect(planted.out).toMatch(new RegExp(`default/DEFAULT/${anna}  lots\\.[\\w-]+\\.remaining: view 0\\.01, ledger 7\\.00`));
    expect(planted.out).not.toContain(ben);
    expect(planted.out).toContain('2 difference(s)');

    sql('UPDATE accounts SET available = available - 100 WHERE customerId = ?', anna);
    sql('UPDATE lots SET remaining = 700 WHERE customerId = ? AND points = 700', anna);
    expect((await cli('verify')).code).toBe(0);
  });

  it('shows an account history with the balance after each event, as JSON and as a table', async () => {
    const json = await cli('accounts', 'history', 'DEFAULT', anna, '--json');
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.out) as Array<{ type: string; points: number | null; transferId: string | null; balanceAfter: { available: number; pending: number; blocked: number } }>;
    expect(entries.map((entry) => entry.type)).toEqual(['AccountOpened', 'PointsAdded', 'PointsAdded', 'PointsSpent', 'PointsBlocked', 'PointsActivated']);
    expect(entries.map((entry) => entry.balanceAfter.available)).toEqual([0, 50, 50, 37.5, 34.5, 41.5]);
    expect(entries.map((entry) => entry.balanceAfter.pending)).toEqual([0, 0, 7, 7, 7, 0]);
    expect(entries[3]).toMatchObject({ points: 12.5, transferId: spentTransfer });

    const table = await cli('accounts', 'history', 'DEFAULT', anna, '--tenant', 'default');
    const lines = table.out.split('\n');
    expect(lines[0]).toMatch(/^#\s+recorded at\s+event\s+transfer\s+points\s+available\s+pending\s+blocked\s+issuer$/);
    expect(lines).toHaveLength(7);
    expect(lines[4]).toMatch(new RegExp(`PointsSpent\\s+${spentTransfer}\\s+12\\.50\\s+37\\.50\\s+7\\.00\\s+0\\.00\\s+api$`));

    const unknown = await cli('accounts', 'history', 'DEFAULT', anna, '--tenant', 'elsewhere');
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('no points account');
  });
});
