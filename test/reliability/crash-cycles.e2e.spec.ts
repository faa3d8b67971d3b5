import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, openInfrastructure } from '@app/engine';
import { openSqlite, SqliteEventStore } from '@app/event-store';
import { ProjectionRunner, SqliteProjectionStore } from '@app/read-models';
import { verifyViews } from '../../apps/cli/src/verify';
import { clientToken, EngineProcess, spawnEngine } from '../support/engine-process';
import { reliabilityScale } from './support/scale';
import { seededRandom } from '@app/read-models/testing/seeded-random';
import { dumpViews } from '../support/views';

type Kind = 'register' | 'add' | 'spend' | 'block' | 'cancel' | 'p2p' | 'import';

/** One request a client sent, with its idempotency key, so it can be sent again exactly after a crash. */
interface Sent {
  kind: Kind;
  key: string;
  path: string;
  body: unknown;
  /** the transfer (or customer) ids the engine acknowledged, once it answered 2xx */
  acknowledged?: string[];
  /** no answer came: the process died under it */
  inFlight?: boolean;
}

const STORE = 'DEFAULT';
const CUSTOMERS = Array.from({ length: 24 }, (_, i) => `crash-customer-${i}`);

function importXml(customers: string[], points: number): string {
  const items = customers.map((customer) => `<pointsTransfer><customerId>${customer}</customerId><points>${points}</points><type>adding</type></pointsTransfer>`);
  return `<?xml version="1.0" encoding="UTF-8"?><pointsTransfers>${items.join('')}</pointsTransfers>`;
}

/** Sends one request; the ids it acknowledged, or undefined for a refusal, or a thrown error when the connection died. */
async function send(url: string, token: string, sent: Sent): Promise<{ status: number; ids: string[]; inFlight?: boolean }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'idempotency-key': sent.key };
  let body: string | FormData;
  if (sent.kind === 'import') {
    body = new FormData();
    body.append('file[file]', new Blob([sent.body as string], { type: 'application/xml' }), 'transfers.xml');
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(sent.body);
  }
  const response = await fetch(`${url}${sent.path}`, { method: 'POST', headers, body });
  const text = await response.text();
  if (response.status >= 500) throw new Error(`server error ${response.status} for ${sent.kind}: ${text}`);
  // the dead process's claim on the key has not outlived its lease yet: the request is retried later
  if (response.status === 409 && text.includes('still in flight')) return { status: 409, ids: [], inFlight: true };
  if (response.status >= 300) return { status: response.status, ids: [] };
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (sent.kind === 'register') return { status: response.status, ids: [json.customerId as string] };
  if (sent.kind === 'cancel') return { status: response.status, ids: [sent.path.split('/').at(-2)!] };
  if (sent.kind === 'import') {
    const items = json.items as { status: string; processImportResult?: { object: { pointsTransferId: string } } }[];
    return { status: response.status, ids: items.filter((i) => i.status === 'success').map((i) => i.processImportResult!.object.pointsTransferId) };
  }
  return { status: response.status, ids: [json.pointsTransferId as string] };
}

/**
 * Mixed load (add, spend, block, cancel, p2p, XML import, customer registration) with SIGKILL at a random
 * moment, restarted each time on the same file; in-flight requests are sent again with their key, as a
 * client retries. Afterwards: nothing acknowledged is missing, nothing is stored twice, every balance
 * is the fold of its events (loyalty verify) and the views equal a rebuild from position 0.
 */
describe('crash cycles under mixed load', () => {
  const cycles = reliabilityScale() === 'long' ? 20 : 5;
  const seed = Number(process.env.CRASH_SEED ?? 20261202);
  let dataDir: string;
  let engine: EngineProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'loyalty-crash-cycles-'));
  });
  afterAll(async () => {
    await engine?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    `loses nothing acknowledged and stores nothing twice over ${cycles} kill -9 cycles (seed ${seed})`,
    async () => {
      const random = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
      const sent: Sent[] = [];
      let serial = 0;
      const next = (kind: Kind, path: string, body: unknown): Sent => ({ kind, key: `crash-${seed}-${serial++}`, path, body });
      const cancellable = (): string[] => sent.filter((s) => (s.kind === 'add' || s.kind === 'block') && s.acknowledged).flatMap((s) => s.acknowledged!);

      const request = (): Sent => {
        const roll = random();
        const customer = pick(CUSTOMERS);
        if (roll < 0.3) return next('add', `/api/${STORE}/points/transfer/add`, { transfer: { customer, points: 1 + Math.floor(random() * 50) } });
        if (roll < 0.45) return next('spend', `/api/${STORE}/points/transfer/spend`, { transfer: { customer, points: 1 } });
        if (roll < 0.55) return next('block', `/api/${STORE}/points/transfer/block`, { transfer: { customer, points: 1 } });
        if (roll < 0.65 && cancellable().length) return next('cancel', `/api/${STORE}/points/transfer/${pick(cancellable())}/cancel`, {});
        if (roll < 0.78) return next('p2p', `/api/${STORE}/admin/p2p-points-transfer`, { transfer: { sender: customer, receiver: pick(CUSTOMERS), points: 1 } });
        if (roll < 0.86) return next('import', `/api/${STORE}/points/transfer/import`, importXml([pick(CUSTOMERS), pick(CUSTOMERS)], 1 + Math.floor(random() * 9)));
        return next('register', `/api/${STORE}/customers`, { customerId: `registered-${seed}-${serial}`, email: `r${serial}@crash.example.com` });
      };

      const deliver = async (url: string, token: string, item: Sent): Promise<void> => {
        try {
          const { ids, inFlight } = await send(url, token, item);
          item.inFlight = Boolean(inFlight);
          if (ids.length) item.acknowledged = ids;
        } catch (error) {
          if ((error as Error).message.startsWith('server error')) throw new Error(`${(error as Error).message}\nengine log:\n${engine?.stdout().split('\n').filter((line) => /error|Error/.test(line)).slice(-3).join('\n')}`);
          item.inFlight = true; // the connection died with the process
        }
      };

      for (let cycle = 0; cycle < cycles; cycle++) {
        engine = await spawnEngine(dataDir, { LOYALTY_RATE_LIMIT_PER_MINUTE: '10000000' });
        const token = await clientToken(engine.url);
        // a client retries what it never got an answer to, with the same key: applied at most once
        for (const item of sent.filter((s) => s.inFlight)) await deliver(engine.url, token, item);
        let stop = false;
        const worker = async (): Promise<void> => {
          while (!stop) {
            const item = request();
            sent.push(item);
            await deliver(engine!.url, token, item);
            if (item.inFlight) return;
          }
        };
        const workers = Array.from({ length: 6 }, worker);
        await new Promise((r) => setTimeout(r, 300 + random() * 1500));
        await engine.kill('SIGKILL');
        stop = true;
        await Promise.all(workers);
      }

      // a last start: the remaining in-flight requests retried, and a sample of acknowledged ones replayed
      engine = await spawnEngine(dataDir);
      const token = await clientToken(engine.url);
      for (const item of sent.filter((s) => s.inFlight)) await deliver(engine.url, token, item);
      for (const item of sent.filter((s) => s.acknowledged && s.kind !== 'import').slice(0, 30)) {
        const replay = await send(engine.url, token, item);
        expect({ key: item.key, ids: replay.ids }).toEqual({ key: item.key, ids: item.acknowledged });
      }
      for (const item of sent.filter((s) => s.kind === 'register' && s.acknowledged)) {
        const found = await fetch(`${engine.url}/api/${STORE}/customers/${item.acknowledged![0]}`, { headers: { authorization: `Bearer ${token}` } });
        expect({ customer: item.acknowledged![0], status: found.status }).toEqual({ customer: item.acknowledged![0], status: 200 });
      }
      await engine.kill('SIGTERM');
      engine = undefined;

      const path = join(dataDir, 'loyalty.db');
      const db = openSqlite(path);
      const events = new SqliteEventStore(db);
      const stored = await events.readAll();
      const creations = new Map<string, number>();
      const cancelled = new Map<string, number>();
      for (const event of stored) {
        const transferId = (event.data as { transferId?: string }).transferId;
        if (!transferId) continue;
        if (['PointsAdded', 'PointsSpent', 'PointsBlocked'].includes(event.type)) {
          const key = `${event.streamId}|${event.type}|${transferId}`;
          creations.set(key, (creations.get(key) ?? 0) + 1);
        }
        if (event.type === 'PointsCancelled') cancelled.set(transferId, (cancelled.get(transferId) ?? 0) + 1);
      }
      const transferIds = new Set([...creations.keys()].map((key) => key.split('|')[2]));
      const acknowledged = sent.filter((s) => s.acknowledged);
      expect(acknowledged.length).toBeGreaterThan(cycles * 5);
      const lost = acknowledged
        .filter((s) => s.kind !== 'register')
        .flatMap((s) => s.acknowledged!.filter((id) => (s.kind === 'cancel' ? !cancelled.has(id) : !transferIds.has(id))).map((id) => `${s.kind} ${id}`));
      expect(lost).toEqual([]);
      expect([...creations.entries()].filter(([, count]) => count > 1)).toEqual([]);
      expect([...cancelled.entries()].filter(([, count]) => count > 1)).toEqual([]);

      // the views caught up, their balances are the fold of the events, and they equal a rebuild from 0
      const runner = new ProjectionRunner(events, new SqliteProjectionStore(db));
      await runner.waitFor(await events.headPosition(), { timeoutMs: 60_000 });
      await events.close();
      db.close();
      const infrastructure = await openInfrastructure(loadConfig({ LOYALTY_PROFILE: 'embedded', LOYALTY_DATA_DIR: dataDir }));
      const report = await verifyViews(infrastructure);
      await infrastructure.close();
      expect(report.accounts).toBeGreaterThan(0);
      expect(report.differences).toEqual([]);
      const resumed = dumpViews(path);
      const rebuildDb = openSqlite(path);
      const rebuildEvents = new SqliteEventStore(rebuildDb);
      await new ProjectionRunner(rebuildEvents, new SqliteProjectionStore(rebuildDb)).rebuild('all');
      await rebuildEvents.close();
      rebuildDb.close();
      expect(dumpViews(path)).toEqual(resumed);
    },
    1_800_000,
  );
});
