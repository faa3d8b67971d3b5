import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, SqliteEventStore, type SqliteDatabase } from '@app/event-store';
import { ManualClock } from '@app/ledger';
import { IdempotencyGuard, IdempotentOutcome, MAX_RESPONSE_PART_BYTES } from './idempotency';

async function textOf(parts: IdempotentOutcome['parts']): Promise<string> {
  let text = '';
  for await (const part of parts ?? []) text += part;
  return text;
}

describe('IdempotencyGuard storing a streamed answer', () => {
  let dir: string;
  let db: SqliteDatabase;
  let store: SqliteEventStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idempotency-'));
    db = openSqlite(join(dir, 'loyalty.db'));
    store = new SqliteEventStore(db);
  });

  afterEach(async () => {
    await store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every stored part under the event store append limits and replays the answer unchanged', async () => {
    const guard = new IdempotencyGuard(store, new ManualClock());
    // One 2.2 MB chunk: quotes and control characters double or sextuple in JSON, emoji are surrogate pairs.
    const answer = `[${Array.from({ length: 40_000 }, (_, i) => JSON.stringify({ item: i, note: 'says "ok"\u0001 😀 ✓' })).join(',')}]`;
    const outcome: IdempotentOutcome = { status: 200, body: null, parts: [answer], contentType: 'application/json' };

    await guard.run('acme', 'import-1', 'hash-1', async () => outcome);
    const replay = await guard.run('acme', 'import-1', 'hash-1', async () => {
      throw new Error('a replay must not run the request again');
    });

    const stored = await store.readStream(IdempotencyGuard.streamFor('acme', 'import-1'));
    const parts = stored.filter((event) => event.type === 'IdempotentResponsePart');
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(Buffer.byteLength(JSON.stringify(part.data))).toBeLessThanOrEqual(MAX_RESPONSE_PART_BYTES + 16);
    expect(replay.replayed).toBe(true);
    expect(await textOf(replay.outcome.parts)).toBe(answer);
  });
});
