import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '@app/event-store';
import { run as runCli } from '../../apps/cli/src/main';
import { clientToken, EngineProcess, spawnEngine } from '../support/engine-process';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../support/engine';

/** The engine as operators run it (its own process): its log lines and its stop on SIGTERM. */
describe('engine process: logs and graceful stop', () => {
  const dirs: string[] = [];
  const engines: EngineProcess[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loyalty-ops-'));
    dirs.push(dataDir);
    const engine = await spawnEngine(dataDir, env);
    engines.push(engine);
    return { engine, dataDir };
  };
  const exited = (engine: EngineProcess) =>
    engine.child.exitCode !== null || engine.child.signalCode !== null
      ? Promise.resolve({ code: engine.child.exitCode, signal: engine.child.signalCode })
      : new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => engine.child.once('exit', (code, signal) => resolve({ code, signal })));
  const logLines = (engine: EngineProcess) =>
    engine
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  afterAll(async () => {
    for (const engine of engines) await engine.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('writes one JSON line per request with ids, tenant, store, route, status and duration, and no secret, token or password', async () => {
    const { engine } = await start({ LOG_LEVEL: 'debug' });
    const post = (path: string, body: string, headers: Record<string, string>) => fetch(`${engine.url}${path}`, { method: 'POST', body, headers });
    const basic = Buffer.from(`${TEST_CLIENT_ID}:${TEST_CLIENT_SECRET}`).toString('base64');
    const wrongSecret = 'not-the-secret-4a7c1e93b2';
    const formSecret = encodeURIComponent(TEST_CLIENT_SECRET);

    const token = await clientToken(engine.url); // JSON body with client_secret
    expect((await post('/api/oauth/token', 'grant_type=client_credentials', { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(200);
    expect((await post('/api/oauth/token', `grant_type=client_credentials&client_id=${TEST_CLIENT_ID}&client_secret=${formSecret}`, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(200);
    expect((await post('/api/oauth/token', JSON.stringify({ grant_type: 'client_credentials', client_id: TEST_CLIENT_ID, client_secret: wrongSecret }), { 'content-type': 'application/json' })).status).toBe(401);
    expect((await fetch(`${engine.url}/api/DEFAULT/settings`, { headers: { authorization: `Basic ${basic}` } })).status).toBeLessThan(500);
    expect((await fetch(`${engine.url}/api/DEFAULT/settings`, { headers: { authorization: 'Bearer forged.token.value' } })).status).toBe(401);

    const customer = randomUUID();
    const added = await post('/api/DEFAULT/points/transfer/add', JSON.stringify({ transfer: { customer, points: 5 } }), {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-request-id': 'shop-request-0001',
    });
    expect(added.status).toBe(200);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await fetch(`${engine.url}/api/DEFAULT/customers/${customer}/points`, { headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await new Promise((r) => setTimeout(r, 200));

    const lines = logLines(engine); // every line parses as JSON
    const addLine = lines.find((line) => line.correlationId === 'shop-request-0001');
    expect(addLine).toMatchObject({
      level: 30,
      reqId: expect.any(String),
      tenant: 'default',
      store: 'DEFAULT',
      method: 'POST',
      route: '/api/:storeCode/points/transfer/add',
      status: 200,
      durationMs: expect.any(Number),
    });
    expect(addLine?.reqId).not.toBe('shop-request-0001');
    expect(lines.find((line) => line.correlationId === traceId)).toMatchObject({ route: '/api/:storeCode/customers/:customerId/points', status: 200 });
    expect(lines.filter((line) => line.route === '/api/oauth/token').map((line) => line.status)).toEqual([200, 200, 200, 401]);

    const output = engine.stdout();
    for (const secret of [TEST_CLIENT_SECRET, formSecret, wrongSecret, basic, token, 'forged.token.value', customer]) expect(output).not.toContain(secret);
  });

  it('hands a first-start client secret over in a private file, never in the log', async () => {
    const { engine, dataDir } = await start({ LOYALTY_BOOTSTRAP_CLIENT_ID: '', LOYALTY_BOOTSTRAP_CLIENT_SECRET: '' });
    const handedOver = JSON.parse(readFileSync(join(dataDir, 'first-client.json'), 'utf8')) as { client_id: string; client_secret: string };
    expect(handedOver.client_secret).toMatch(/.{16,}/);
    const response = await fetch(`${engine.url}/api/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: handedOver.client_id, client_secret: handedOver.client_secret }),
    });
    expect(response.status).toBe(200);
    const output = engine.stdout();
    expect(output).toContain(join(dataDir, 'first-client.json'));
    expect(output).not.toContain(handedOver.client_secret);
  });

  it('on SIGTERM under load: answers what it accepted, stores every acknowledged add, and exits 0', async () => {
    const { engine, dataDir } = await start();
    const token = await clientToken(engine.url);
    const customers = Array.from({ length: 20 }, () => randomUUID());
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let refused = 0;
    let sent = 0;
    const worker = async (n: number) => {
      for (let i = 0; ; i++) {
        try {
          sent++;
          const response = await fetch(`${engine.url}/api/DEFAULT/points/transfer/add`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ transfer: { customer: customers[(n + i) % customers.length], points: 1 } }),
          });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const body = (await response.json()) as { pointsTransferId?: string };
          if (response.status === 200 && body.pointsTransferId) acknowledged.push(body.pointsTransferId);
          if (response.status === 503) return; // closing: the server turns new requests away
        } catch {
          refused++;
          return; // the server stopped listening
        }
      }
    };
    const load = Promise.all(Array.from({ length: 24 }, (_, n) => worker(n)));
    while (acknowledged.length < 200) await new Promise((r) => setTimeout(r, 20));
    const stopped = exited(engine);
    const acknowledgedBeforeStop = acknowledged.length;
    engine.child.kill('SIGTERM');
    const { code, signal } = await stopped;
    await load;

    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect([...statuses.keys()].filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(sent).toBeGreaterThan(acknowledged.length);
    // the requests in flight when the signal came were answered, not dropped
    expect(acknowledged.length).toBeGreaterThan(acknowledgedBeforeStop);
    expect(engine.stdout()).toContain('SIGTERM: stopped cleanly');

    const db = openSqlite(join(dataDir, 'loyalty.db'));
    const stored = new Set(
      (db.prepare(`SELECT data FROM events WHERE type = 'PointsAdded'`).all() as { data: string }[]).map((row) => (JSON.parse(row.data) as { transferId: string }).transferId),
    );
    db.close();
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    expect(refused + (statuses.get(503) ?? 0)).toBeGreaterThan(0);

    // the projections stopped on a committed batch: the views agree with the log up to their checkpoint
    const previous = { ...process.env };
    process.env.LOYALTY_PROFILE = 'embedded';
    process.env.LOYALTY_DATA_DIR = dataDir;
    const printed: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void printed.push(parts.join(' ')));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await runCli(['verify'])).toBe(0);
    } finally {
      jest.restoreAllMocks();
      process.env = previous;
    }
    expect(printed.join('\n')).toContain('views agree with the event log');
  });
});
