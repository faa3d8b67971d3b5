/**
 * Seeds an embedded-profile SQLite file through the event store port (SqliteEventStore):
 * `transfers` PointsAdded events over `customers` points accounts, each account opened by an
 * AccountOpened, with EventMetadata like the engine's. Appends interleave customers round by
 * round (as live traffic would) and are issued a few thousand per event-loop turn, so the store
 * group-commits them. createdAt runs from `days` ago to now in append order.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/lib/seed.ts \
 *     --db <file> --transfers 1000000 --customers 100000 [--days 60] [--tag 0]
 * Prints progress on stderr and one JSON line on stdout.
 */
import { seededRandom } from '@app/read-models/testing/seeded-random';
import { randomUUID } from 'node:crypto';
import { openSqlite, SqliteEventStore } from '@app/event-store';
import type { NewEvent } from '@app/event-store';
import { SCHEMA_VERSION, pointsAccountStream } from '@app/ledger';
import type { AccountOpened, EventMetadata, PointsAdded } from '@app/ledger';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { customerId } = require('./common') as { customerId: (n: number, tag?: number) => string };

const DAY = 86_400_000;
const TENANT = 'default';
const STORE = 'DEFAULT';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

function metadata(): EventMetadata {
  const correlationId = randomUUID();
  return { tenant: TENANT, storeCode: STORE, correlationId, causationId: correlationId, issuer: 'api', actor: 'bench-seed', schemaVersion: SCHEMA_VERSION };
}

async function main(): Promise<void> {
  const dbPath = arg('db');
  const transfers = Number(arg('transfers'));
  const customers = Number(arg('customers'));
  const days = Number(arg('days', '60'));
  const tag = Number(arg('tag', '0'));
  const chunk = Number(arg('chunk', '4000'));

  const db = openSqlite(dbPath);
  const store = new SqliteEventStore(db);
  const random = seededRandom(42);
  const now = Date.now();
  const from = now - days * DAY;
  const rounds = Math.ceil(transfers / customers);
  const started = performance.now();
  let appended = 0;
  let events = 0;
  let lastReport = started;

  let pending: Promise<unknown>[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let c = 0; c < customers; c++) {
      const index = round * customers + c;
      if (index >= transfers) break;
      const customer = customerId(c, tag);
      const createdAtMs = Math.floor(from + (index / transfers) * (now - from));
      const createdAt = new Date(createdAtMs).toISOString();
      const pendingLot = random() < 0.05;
      const points = (1 + Math.floor(random() * 100)) * 100; // 1..100 points, in hundredths
      const added: PointsAdded = {
        type: 'PointsAdded',
        data: {
          transferId: randomUUID(),
          type: 'adding',
          points,
          state: pendingLot ? 'pending' : 'active',
          createdAt,
          // pending lots activate in the future, active ones expire in a year: the scheduler finds nothing due
          ...(pendingLot ? { activatesAt: new Date(now + (1 + Math.floor(random() * 30)) * DAY).toISOString() } : {}),
          expiresAt: new Date(Math.max(createdAtMs + 365 * DAY, now + 30 * DAY)).toISOString(),
          comment: `bench seed ${index}`,
        },
      };
      const batch: NewEvent[] = [];
      if (round === 0) {
        const opened: AccountOpened = {
          type: 'AccountOpened',
          data: { accountId: randomUUID(), tenant: TENANT, storeCode: STORE, customerId: customer, openedAt: createdAt },
        };
        batch.push({ id: randomUUID(), type: opened.type, data: opened.data, metadata: { ...metadata() } });
      }
      batch.push({ id: randomUUID(), type: added.type, data: added.data, metadata: { ...metadata() } });
      const stream = pointsAccountStream({ tenant: TENANT, storeCode: STORE, customerId: customer });
      // round 0 opens the stream (revisions 0 and 1); round r appends revision r + 1
      pending.push(store.appendToStream(stream, batch, { expectedRevision: round === 0 ? 'no_stream' : round }));
      appended += 1;
      events += batch.length;
      if (pending.length >= chunk) {
        await Promise.all(pending);
        pending = [];
        const t = performance.now();
        if (t - lastReport > 2000) {
          lastReport = t;
          process.stderr.write(`  seeded ${appended}/${transfers} transfers (${Math.round(events / ((t - started) / 1000))} events/s)\n`);
        }
      }
    }
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  process.stdout.write(
    JSON.stringify({ transfers: appended, customers, events, seconds, eventsPerSecond: events / seconds, transfersPerSecond: appended / seconds, tag }) + '\n',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
