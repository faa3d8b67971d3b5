/**
 * EXPLAIN QUERY PLAN and in-process timing of every query shape the Open Loyalty read side runs over
 * the SQLite views (the listing's filters, sorts and directions, the customer summary, the histogram),
 * against an existing embedded-profile file, read-only, through SqliteReadModels itself.
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register bench/lib/explain-queries.ts \
 *     --db <file> [--customer <id>] [--reps 20]
 * Prints one block per query: mean ms per call over --reps calls, then the plan of each statement.
 */
import Database from 'better-sqlite3';
import { SqliteReadModels, TRANSFER_SORT_FIELDS } from '@app/read-models';
import type { TransferListQuery, TransferSort } from '@app/read-models';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const db = new Database(arg('db'), { readonly: true, fileMustExist: true });
  const reps = Number(arg('reps', '20'));
  const tenant = 'default';
  const storeCode = 'DEFAULT';
  const customer = arg('customer', (db.prepare(`SELECT customerId FROM transfers WHERE tenant = ? AND storeCode = ? LIMIT 1`).get(tenant, storeCode) as { customerId: string }).customerId);
  const plans = new Map<string, string[]>();
  const prepare = db.prepare.bind(db);
  // record the plan of every statement the adapter prepares
  (db as unknown as { prepare: typeof db.prepare }).prepare = ((sql: string) => {
    const statement = prepare(sql);
    const explain = prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const record = (params: unknown[]): void => {
      if (!plans.has(sql)) plans.set(sql, (explain.all(...params) as Array<{ detail: string }>).map((row) => row.detail));
    };
    return new Proxy(statement, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (key === 'get' || key === 'all') return (...params: unknown[]) => (record(params), value.apply(target, params));
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }) as typeof db.prepare;
  const views = new SqliteReadModels(db as never);
  const base = { tenant, storeCode };
  const listings: Array<[string, TransferListQuery]> = [
    ['bench: customerId, createdAt DESC', { ...base, customerId: customer, sort: 'createdAt', direction: 'DESC' }],
    ['bench: type=adding, perPage=50, page=3', { ...base, type: 'adding', perPage: 50, page: 3 }],
    ['no filter, default sort', { ...base }],
    ['no filter, last page of the window', { ...base, page: 1000 }],
    ...(Object.keys(TRANSFER_SORT_FIELDS) as TransferSort[]).flatMap((sort): Array<[string, TransferListQuery]> => [
      [`no filter, sort ${sort} ASC`, { ...base, sort }],
      [`no filter, sort ${sort} DESC`, { ...base, sort, direction: 'DESC' }],
    ]),
    ['customerId, sort value DESC', { ...base, customerId: customer, sort: 'value', direction: 'DESC' }],
    ['customerId + type + state', { ...base, customerId: customer, type: 'adding', states: ['active'] }],
    ['customerEmail', { ...base, customerEmail: 'Nobody@Example.com' }],
    ['customerPhone', { ...base, customerPhone: '+48000000000' }],
    ['customerFirstName + LastName', { ...base, customerFirstName: 'Anna', customerLastName: 'Nowak' }],
    ['customerLastName, sort expiresAt', { ...base, customerLastName: 'Nowak', sort: 'expiresAt' }],
    ['state[]=active', { ...base, states: ['active'] }],
    ['state[]=pending', { ...base, states: ['pending'] }],
    ['state[]=expired,canceled (none)', { ...base, states: ['expired', 'canceled'] }],
    ['state[]=active,pending, sort value', { ...base, states: ['active', 'pending'], sort: 'value', direction: 'DESC' }],
    ['type=spending (none)', { ...base, type: 'spending' }],
    ['type=adding, sort value DESC', { ...base, type: 'adding', sort: 'value', direction: 'DESC' }],
    ['type=adding, sort value DESC, page 200', { ...base, type: 'adding', sort: 'value', direction: 'DESC', page: 200, perPage: 50 }],
    ['state=pending, sort value DESC, page 20', { ...base, states: ['pending'], sort: 'value', direction: 'DESC', page: 20, perPage: 50 }],
  ];
  const now = new Date();
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  const calls: Array<[string, () => Promise<unknown>]> = [
    ...listings.map(([name, query]): [string, () => Promise<unknown>] => [`listing ${name}`, () => views.transfers.list(query)]),
    ['summary: account', () => views.accounts.account(tenant, storeCode, customer)],
    ['summary: expiring in 30 days', () => views.lots.expiringBetween(tenant, storeCode, customer, now.toISOString(), new Date(now.getTime() + 30 * 86_400_000).toISOString())],
    ['histogram: earned, 30 days', () => views.histogram.days(tenant, storeCode, 'earned', day(now.getTime() - 29 * 86_400_000), day(now.getTime()))],
  ];
  for (const [name, call] of calls) {
    plans.clear();
    const result = await call();
    const started = performance.now();
    for (let i = 0; i < reps; i++) await call();
    const ms = (performance.now() - started) / reps;
    const shape = result && typeof result === 'object' && 'total' in result ? ` (${(result as unknown as { rows: unknown[] }).rows.length} rows, total ${(result as { total: number }).total})` : '';
    console.log(`-- ${name}: ${ms.toFixed(3)} ms${shape}`);
    for (const [sql, plan] of plans) console.log(`   ${sql.replace(/\s+/g, ' ').slice(0, 220)}\n${plan.map((line) => `      ${line}`).join('\n')}`);
  }
  db.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
