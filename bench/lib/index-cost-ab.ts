/**
 * What the transfers view's indexes cost an add, in-process, A/B in the same run: two transfers tables
 * in one SQLite file (WAL, synchronous=NORMAL as projection commits run), one with every index of
 * TRANSFERS, one with only `--keep` of them (default: createdAt, customerId, state, type), both filled
 * with `--rows` transfers first; then rounds alternate between them, each inserting commits of
 * `--batch` rows (a live wake-up's worth) with random ids. Prints process CPU per inserted row.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/lib/index-cost-ab.ts [--rows 300000] [--batch 45] [--keep 0,1,6,7]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '@app/event-store';
import { TRANSFERS } from '@app/read-models/documents';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const rows = Number(arg('rows', '300000'));
const batch = Number(arg('batch', '45'));
const keep = arg('keep', '0,1,6,7').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'index-cost-'));
const db = openSqlite(join(dir, 'ab.db'));
db.pragma('synchronous = NORMAL');
const fields = Object.keys(TRANSFERS.fields);
const quote = (name: string): string => `"${name}"`;

function table(name: string, indexes: ReadonlyArray<ReadonlyArray<string>>): (count: number) => void {
  db.exec(`CREATE TABLE ${name} (id TEXT PRIMARY KEY, position INTEGER NOT NULL, ${fields.map((f) => `${quote(f)} ${TRANSFERS.fields[f] === 'integer' ? 'INTEGER' : 'TEXT'}`).join(', ')})`);
  indexes.forEach((columns, i) => db.exec(`CREATE INDEX ix_${name}_${i} ON ${name} (${columns.map(quote).join(', ')})`));
  const insert = db.prepare(`INSERT INTO ${name} (id, position, ${fields.map(quote).join(', ')}) VALUES (${['?', '?', ...fields.map(() => '?')].join(', ')})`);
  let position = 0;
  const row = (): unknown[] => {
    position += 1;
    const customer = `c${String(position % 100_000).padStart(6, '0')}`;
    const transferId = randomUUID();
    const values: Record<string, unknown> = {
      tenant: 'default', storeCode: 'DEFAULT', transferId, accountId: `a-${customer}`, customerId: customer,
      firstName: `First${customer}`, lastName: `Last${customer}`, email: `${customer}@example.com`, phone: `+48${position % 100_000}`,
      loyaltyCardNumber: `card-${customer}`, firstNameLc: `first${customer}`, lastNameLc: `last${customer}`, emailLc: `${customer}@example.com`,
      customerPosition: position % 100_000, state: 'active', type: 'adding', value: 1000,
      createdAt: new Date(1_780_000_000_000 + position * 1000).toISOString(), expiresAt: null, activatesAt: null,
      comment: null, customerReason: null, issuer: 'api', referenceId: null, transactionId: null,
    };
    return [`default:DEFAULT:${transferId}`, position, ...fields.map((f) => values[f] ?? null)];
  };
  const commit = db.transaction((count: number) => {
    for (let i = 0; i < count; i++) insert.run(...row());
  });
  return (count: number) => {
    for (let done = 0; done < count; done += batch) commit.immediate(Math.min(batch, count - done));
  };
}

const every = table('transfers_every', TRANSFERS.indexes);
const fewer = table('transfers_fewer', keep.map((i) => TRANSFERS.indexes[i]));
every(rows);
fewer(rows);

function cpuPerRow(fill: (count: number) => void, count: number): number {
  const before = process.cpuUsage();
  fill(count);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}

console.log(`transfers tables of ${rows} rows; commits of ${batch} rows; fewer = indexes ${keep.join(', ')} of ${TRANSFERS.indexes.length}`);
for (let round = 0; round < 5; round++) {
  const a = cpuPerRow(every, 10_000);
  const b = cpuPerRow(fewer, 10_000);
  console.log(`round ${round}: every index ${a.toFixed(4)} ms CPU/row, fewer ${b.toFixed(4)} ms CPU/row`);
}
db.close();
rmSync(dir, { recursive: true, force: true });
