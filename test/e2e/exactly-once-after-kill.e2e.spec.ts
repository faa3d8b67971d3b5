import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, SqliteEventStore, StoredEvent } from '@app/event-store';
import { IdempotencyGuard } from '@app/engine';
import { pointsAccountStream } from '@app/ledger';
import type { KeyedCommand } from '../support/keyed-command-process';

/**
 * Idempotency across a crash: a keyed command runs in its own engine process, which is SIGKILLed
 * after the command's events are stored and before its answer is; a new process retries the key.
 * Real processes, a real kill -9 and the embedded profile's SQLite file.
 */

const ROOT = join(__dirname, '..', '..');
type Answer = { outcome: { status: number; body: { transferId?: string; code?: string } }; replayed: boolean };

function keyedCommand(request: KeyedCommand, killAfterAppend = false): Promise<Answer | 'killed'> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'test/support/keyed-command-process.ts', JSON.stringify(request)], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (killAfterAppend && out.includes('appended\n')) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') return resolve('killed');
      if (code !== 0) return reject(new Error(`keyed command exited ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1) as string) as Answer);
    });
  });
}

describe('exactly once across an engine killed between its append and its answer', () => {
  let dataDir: string;
  const request = (overrides: Partial<KeyedCommand>): KeyedCommand => ({
    dataDir,
    tenant: 'acme',
    key: 'key-1',
    customerId: 'alice',
    action: 'add',
    points: 1_000,
    leaseMs: 300,
    pauseAfterAppendMs: 0,
    ...overrides,
  });

  async function streamOf(streamId: string): Promise<StoredEvent[]> {
    const db = openSqlite(join(dataDir, 'loyalty.db'));
    try {
      return await new SqliteEventStore(db).readStream(streamId);
    } finally {
      db.close();
    }
  }
  const account = (tenant: string, customerId = 'alice') => pointsAccountStream({ tenant, storeCode: 'main', customerId });
  const ofType = (events: StoredEvent[], type: string) => events.filter((event) => event.type === type);

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idempotency-crash-'));
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('takes over the expired claim and answers the retry with the first transfer, its points added once', async () => {
    expect(await keyedCommand(request({ pauseAfterAppendMs: 60_000 }), true)).toBe('killed');
    expect(ofType(await streamOf(IdempotencyGuard.streamFor('acme', 'key-1')), 'IdempotentRequestCompleted')).toHaveLength(0);

    const retried = await keyedCommand(request({}));
    const repeated = await keyedCommand(request({}));

    const added = ofType(await streamOf(account('acme')), 'PointsAdded');
    expect(added).toHaveLength(1);
    expect(retried).toEqual({ outcome: { status: 200, body: { transferId: (added[0].data as { transferId: string }).transferId } }, replayed: false });
    expect(repeated).toEqual({ ...(retried as Answer), replayed: true });
    const claims = ofType(await streamOf(IdempotencyGuard.streamFor('acme', 'key-1')), 'IdempotencyKeyClaimed');
    expect(claims).toHaveLength(2);
  });

  it('answers a retried spend with what was stored before the crash, not a refusal for the points it spent itself', async () => {
    await keyedCommand(request({ key: 'seed', points: 1_000 }));
    expect(await keyedCommand(request({ key: 'spend-1', action: 'spend', points: 1_000, pauseAfterAppendMs: 60_000 }), true)).toBe('killed');

    const retried = await keyedCommand(request({ key: 'spend-1', action: 'spend', points: 1_000 }));

    const spent = ofType(await streamOf(account('acme')), 'PointsSpent');
    expect(spent).toHaveLength(1);
    expect(retried).toEqual({ outcome: { status: 200, body: { transferId: (spent[0].data as { transferId: string }).transferId } }, replayed: false });
  });

  it('keeps one key of two tenants apart: each gets its own transfer, and its own answer again on a repeat', async () => {
    const acme = await keyedCommand(request({ tenant: 'acme', key: 'shared', points: 500 }));
    const globex = await keyedCommand(request({ tenant: 'globex', key: 'shared', points: 500 }));
    const acmeAgain = await keyedCommand(request({ tenant: 'acme', key: 'shared', points: 500 }));

    expect(acme).toMatchObject({ outcome: { status: 200 }, replayed: false });
    expect(globex).toMatchObject({ outcome: { status: 200 }, replayed: false });
    expect((globex as Answer).outcome.body.transferId).not.toBe((acme as Answer).outcome.body.transferId);
    expect(acmeAgain).toEqual({ ...(acme as Answer), replayed: true });
    const acmeLots = ofType(await streamOf(account('acme')), 'PointsAdded');
    const globexLots = ofType(await streamOf(account('globex')), 'PointsAdded');
    expect(acmeLots.map((event) => (event.data as { transferId: string }).transferId)).toEqual([(acme as Answer).outcome.body.transferId]);
    expect(globexLots.map((event) => (event.data as { transferId: string }).transferId)).toEqual([(globex as Answer).outcome.body.transferId]);
  });

  it('credits the receiver of a p2p transfer cut in two by kill -9 exactly once, however often the sender\'s half is delivered', async () => {
    await keyedCommand(request({ key: 'seed', points: 1_000 }));
    expect(await keyedCommand(request({ key: 'p2p-1', action: 'p2p-send', receiverId: 'bob', points: 400, pauseAfterAppendMs: 60_000 }), true)).toBe('killed');
    expect(await streamOf(account('acme', 'bob'))).toEqual([]);

    await keyedCommand(request({ key: 'recover', action: 'p2p-recover', receiverId: 'bob' }));
    await keyedCommand(request({ key: 'recover-again', action: 'p2p-recover', receiverId: 'bob' }));

    const spent = ofType(await streamOf(account('acme')), 'PointsSpent');
    const received = ofType(await streamOf(account('acme', 'bob')), 'PointsAdded');
    expect(spent).toHaveLength(1);
    expect(received).toHaveLength(1);
    expect(received[0].data).toMatchObject({ type: 'p2p_adding', points: 400, p2pId: (spent[0].data as { p2pId: string }).p2pId });
  });
});
