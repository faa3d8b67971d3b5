import { openSqlite, SqliteEventStore } from '@app/event-store';
import { ManualClock } from '@app/ledger';
import { IdempotencyGuard, IdempotentRequestInFlightError } from './idempotency';

describe('IdempotencyGuard after a crash', () => {
  const start = new Date('2026-12-02T10:00:00Z');

  it('takes over a key whose answer was being streamed when the process died, once the lease ran out since the last part', async () => {
    const db = openSqlite(':memory:');
    const store = new SqliteEventStore(db, { now: () => clock.now() });
    const clock = new ManualClock(start);
    const streamId = IdempotencyGuard.streamFor('t', 'import-1');
    // what a process killed while writing an import's answer leaves: a claim and some parts, no completion
    await store.appendToStream(streamId, [{ id: 'c', type: 'IdempotencyKeyClaimed', data: { requestHash: 'h', claimedAt: start.toISOString() }, metadata: {} }]);
    await store.appendToStream(streamId, [{ id: 'p', type: 'IdempotentResponsePart', data: { text: '{"items":[' }, metadata: {} }]);

    const guard = new IdempotencyGuard(store, clock, { leaseMs: 30_000, waitMs: 0 });
    const rerun = () => guard.run('t', 'import-1', 'h', async (_scope, takeover) => ({ status: 200, body: { takeover } }));
    // within the lease the first request may still be alive: a retry is told so (409), not a 500
    await expect(rerun()).rejects.toBeInstanceOf(IdempotentRequestInFlightError);

    clock.advance(30_001);
    await expect(rerun()).resolves.toEqual({ outcome: { status: 200, body: { takeover: true } }, replayed: false });
    await expect(rerun()).resolves.toEqual({ outcome: { status: 200, body: { takeover: true } }, replayed: true });
    await store.close();
    db.close();
  });
});
