import { randomUUID } from 'node:crypto';
import { Scheduler } from '@app/engine';
import { DAY_MS, ManualClock, pointsAccountStream } from '@app/ledger';
import { startTestEngine, TestEngine, TEST_CLIENT_SECRET, TEST_STORE, TEST_TENANT } from '../support/engine';
import { pointsTransfersXml } from '../support/xml-fixtures';

/** Readiness, liveness and Prometheus metrics of the real engine over real HTTP (issue 16). */
describe('health', () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await startTestEngine({ env: { LOYALTY_READY_MAX_LAG: '3' } });
  });
  afterAll(() => engine.close());

  it('answers liveness and readiness without credentials, with a status per check and nothing else', async () => {
    expect((await engine.http().get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await engine.http().get('/health/ready').expect(200);
    const up = { eventStore: { status: 'up' }, readStore: { status: 'up' }, projections: { status: 'up' } };
    expect(ready.body).toEqual({ status: 'ok', info: up, error: {}, details: up });
  });

  it('is not ready while a projection is held back beyond LOYALTY_READY_MAX_LAG, and ready again once it caught up', async () => {
    const { runner, eventStore } = engine.infrastructure;
    await runner.stop();
    const customerId = randomUUID();
    const stream = pointsAccountStream({ tenant: TEST_TENANT, storeCode: TEST_STORE, customerId });
    const metadata = { tenant: TEST_TENANT, storeCode: TEST_STORE, issuer: 'api', actor: 'ops-test' };
    const at = new Date().toISOString();
    await eventStore.appendToStream(stream, [
      { id: randomUUID(), type: 'AccountOpened', data: { accountId: randomUUID(), tenant: TEST_TENANT, storeCode: TEST_STORE, customerId, openedAt: at }, metadata },
      ...[1, 2, 3, 4].map((n) => ({ id: randomUUID(), type: 'PointsAdded', data: { transferId: randomUUID(), type: 'adding', points: n * 100, state: 'active', createdAt: at }, metadata })),
    ]);

    const held = await engine.http().get('/health/ready').expect(503);
    expect(held.body).toEqual({
      status: 'error',
      info: { eventStore: { status: 'up' }, readStore: { status: 'up' } },
      error: { projections: { status: 'down' } },
      details: { eventStore: { status: 'up' }, readStore: { status: 'up' }, projections: { status: 'down' } },
    });

    await runner.start();
    await runner.waitFor(await eventStore.headPosition());
    expect((await engine.http().get('/health/ready').expect(200)).body.status).toBe('ok');
  });
});

describe('metrics', () => {
  const METRICS_TOKEN = 'metrics-token-5f1c9a';
  const clock = new ManualClock(new Date().toISOString());
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });
  const scrape = async (): Promise<string> =>
    (await engine.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200).expect('content-type', /text\/plain/)).text;
  /** the value of one series, 0 when it is absent */
  const valueOf = (text: string, series: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };

  beforeAll(async () => {
    engine = await startTestEngine({ clock, env: { LOYALTY_METRICS_TOKEN: METRICS_TOKEN } });
  });
  afterAll(() => engine.close());

  it('wants the metrics bearer token when LOYALTY_METRICS_TOKEN is set', async () => {
    await engine.http().get('/metrics').expect(401);
    await engine.http().get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
    await engine.http().get('/metrics').set(auth()).expect(401);
    expect(await scrape()).toContain('# TYPE http_requests_total counter');
  });

  it('counts requests by route pattern, commands by outcome, appends, scheduler lots and imported items; labels carry no customer ids or tokens', async () => {
    const customer = randomUUID();
    const before = await scrape();
    const added = await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 10, validityDays: 1 } }).expect(200);
    await engine.http().post('/api/DEFAULT/points/transfer/spend').set(auth()).send({ transfer: { customer, points: 500 } }).expect(422);
    await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(auth()).expect(200);

    // another writer appends behind the engine's back: its next command is decided again on fresh state
    const stream = pointsAccountStream({ tenant: TEST_TENANT, storeCode: TEST_STORE, customerId: customer });
    const [, firstAdd] = await engine.infrastructure.eventStore.readStream(stream);
    await engine.infrastructure.eventStore.appendToStream(stream, [{ id: randomUUID(), type: 'PointsAdded', data: { ...(firstAdd.data as object), transferId: randomUUID() }, metadata: firstAdd.metadata }]);
    await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 1 } }).expect(200);

    const imported = randomUUID();
    const xml = pointsTransfersXml([
      { customerId: imported, points: '5', type: 'adding' },
      { customerId: imported, points: '2', type: 'spending' },
      { customerId: imported, points: '900', type: 'spending' },
    ]);
    await engine.http().post('/api/DEFAULT/points/transfer/import').set(auth()).attach('file[file]', Buffer.from(xml), 'points.xml').expect(200);

    clock.advance(2 * DAY_MS);
    await engine.refreshToken();
    await engine.app.get(Scheduler).tick();

    const after = await scrape();
    const grew = (series: string) => valueOf(after, series) - valueOf(before, series);
    expect(grew('http_requests_total{method="POST",route="/api/:storeCode/points/transfer/add",status_code="200"}')).toBe(2);
    expect(grew('http_requests_total{method="POST",route="/api/:storeCode/points/transfer/spend",status_code="422"}')).toBe(1);
    expect(grew('http_requests_total{method="GET",route="/api/:storeCode/customers/:customerId/points",status_code="200"}')).toBe(1);
    expect(grew('http_request_duration_seconds_count{method="POST",route="/api/:storeCode/points/transfer/add",status_code="200"}')).toBe(2);
    // the two adds of the test and the import's one
    expect(grew('loyalty_commands_total{command="AddPoints",outcome="accepted"}')).toBe(3);
    expect(grew('loyalty_commands_total{command="SpendPoints",outcome="refused"}')).toBe(2);
    expect(grew('loyalty_commands_total{command="SpendPoints",outcome="accepted"}')).toBe(1);
    expect(grew('loyalty_commands_total{command="AddPoints",outcome="conflict_retried"}')).toBe(1);
    expect(grew('loyalty_event_append_duration_seconds_count')).toBeGreaterThanOrEqual(4);
    expect(grew('loyalty_import_items_total{outcome="success"}')).toBe(2);
    expect(grew('loyalty_import_items_total{outcome="failed"}')).toBe(1);
    expect(grew('loyalty_scheduler_runs_total{outcome="ok"}')).toBe(1);
    // the test's first lot (validityDays 1) and the one the other writer copied from it
    expect(grew('loyalty_scheduler_lots_total{action="expired"}')).toBe(2);
    expect(after).toMatch(/^loyalty_projection_lag_events\{projection="accounts"\} \d+$/m);
    expect(after).toMatch(/^loyalty_projection_lag_seconds\{projection="transfers"\} [\d.e-]+$/m);
    expect(after).toContain('process_cpu_user_seconds_total');
    expect(after).toContain('nodejs_eventloop_lag_seconds');

    for (const secret of [customer, imported, added.body.pointsTransferId, engine.token, METRICS_TOKEN, TEST_CLIENT_SECRET]) {
      expect(after).not.toContain(secret);
    }
    // the engine's own labels hold only methods, route patterns, statuses and names it defines
    const ENGINE_LABELS: Record<string, RegExp> = {
      method: /^[A-Z]+$/,
      route: /^((\/[\w.-]*|\/:\w+)+|unmatched)$/,
      status_code: /^\d{3}$/,
      command: /^[A-Z][A-Za-z]+$/,
      outcome: /^(accepted|refused|failed|conflict_retried|success|ok)$/,
      action: /^(activated|expired)$/,
      projection: /^[a-z]+$/,
    };
    const labels = [...after.matchAll(/(\w+)="([^"]*)"/g)].map(([, name, value]) => ({ name, value }));
    for (const { name, value } of labels) {
      if (ENGINE_LABELS[name]) expect(`${name}=${value}`).toMatch(new RegExp(`^${name}=${ENGINE_LABELS[name].source.slice(1)}`));
      expect(value).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
    }
  });
});
