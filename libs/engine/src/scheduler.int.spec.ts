import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountKey, ManualClock } from '@app/ledger';
import { loadConfig, type EngineConfig } from './config';
import { EngineModule } from './engine.module';
import { Infrastructure, openInfrastructure } from './infrastructure';
import { PointsService } from './points/points.service';
import { Scheduler } from './scheduler';

/**
 * The scheduler at the exact instant a lot falls due (the ledger's `<=`), over more due accounts
 * than one page of the due list (500), on the embedded profile's real SQLite file.
 */
describe('Scheduler at the boundary instant, more than one page due', () => {
  const PER_GROUP = 510;
  const created = '2026-03-01T00:00:00.000Z';
  const boundary = '2026-03-10T12:00:00.000Z';
  const justAfter = '2026-03-10T12:00:00.001Z';
  const justBefore = '2026-03-10T11:59:59.999Z';
  let dir: string;
  let clock: ManualClock;
  let infrastructure: Infrastructure;
  let app: INestApplicationContext;

  const account = (group: string, i: number): AccountKey => ({ tenant: 'acme', storeCode: 'main', customerId: `${group}-${i}` });
  const group = (name: string) => Array.from({ length: PER_GROUP }, (_, i) => account(name, i));

  async function eventsOfType(type: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const event of await infrastructure.eventStore.readAll()) {
      if (event.type !== type) continue;
      const customer = event.streamId.split(':')[2];
      counts.set(customer, (counts.get(customer) ?? 0) + 1);
    }
    return counts;
  }

  async function tickCaughtUp(at: string): Promise<void> {
    clock.set(at);
    await app.get(Scheduler).tick();
    await infrastructure.runner.waitFor(await infrastructure.eventStore.headPosition(), { timeoutMs: 60_000 });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scheduler-'));
    // the engine's own defaults for every other setting, as `npm start` would read them
    const config: EngineConfig = { ...loadConfig({ LOYALTY_DATA_DIR: dir }), schedulerIntervalMs: 3_600_000, runProjector: true, runScheduler: false };
    clock = new ManualClock(created);
    infrastructure = await openInfrastructure(config);
    app = await NestFactory.createApplicationContext(EngineModule.forRoot({ config, infrastructure, clock }), { logger: false });
    await app.init();
    const points = app.get(PointsService);
    const add = (key: AccountKey, i: number, dates: { state: 'active' | 'pending'; expiresAt?: string; activatesAt?: string }) =>
      points.execute(key, {
        type: 'AddPoints',
        data: { transferId: `lot-${key.customerId}`, points: 100, now: created, ...dates, openAccount: { ...key, accountId: `acc-${key.customerId}-${i}` } },
      });
    const work = [
      ...group('expiring').map((key, i) => () => add(key, i, { state: 'active', expiresAt: boundary })),
      ...group('activating').map((key, i) => () => add(key, i, { state: 'pending', activatesAt: boundary })),
      ...group('later').map((key, i) => () => add(key, i, { state: 'active', expiresAt: justAfter })),
    ];
    for (let i = 0; i < work.length; i += 100) await Promise.all(work.slice(i, i + 100).map((run) => run()));
    await infrastructure.runner.waitFor(await infrastructure.eventStore.headPosition(), { timeoutMs: 60_000 });
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // one scenario in three steps: each step needs the state the one before left, so they are one test
  it('does nothing a millisecond early, handles every lot due at the instant once over several pages, and the later ones a millisecond after', async () => {
    await tickCaughtUp(justBefore);

    expect((await eventsOfType('PointsExpired')).size).toBe(0);
    expect((await eventsOfType('PointsActivated')).size).toBe(0);

    await tickCaughtUp(boundary);

    const expired = await eventsOfType('PointsExpired');
    const activated = await eventsOfType('PointsActivated');
    expect([...expired.keys()].sort()).toEqual(group('expiring').map((key) => key.customerId).sort());
    expect([...activated.keys()].sort()).toEqual(group('activating').map((key) => key.customerId).sort());
    expect([...expired.values(), ...activated.values()].every((count) => count === 1)).toBe(true);

    await tickCaughtUp(justAfter);

    const expiredAfter = await eventsOfType('PointsExpired');
    expect([...expiredAfter.keys()].sort()).toEqual([...group('expiring'), ...group('later')].map((key) => key.customerId).sort());
    expect([...expiredAfter.values()].every((count) => count === 1)).toBe(true);
    expect((await eventsOfType('PointsActivated')).size).toBe(PER_GROUP);
  });
});
