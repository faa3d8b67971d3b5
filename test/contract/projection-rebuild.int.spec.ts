import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { openSqlite } from '@app/event-store/sqlite/sqlite-database';
import { SqliteEventStore } from '@app/event-store/sqlite/sqlite-event-store';
import {
  ALL_PROJECTIONS,
  MONGO_CHECKPOINTS,
  MongoCheckpoint,
  MongoProjectionStore,
  MongoReadModels,
  ProjectionRunner,
  RebuildProgress,
  SqliteProjectionStore,
  SqliteReadModels,
  mongoCollectionName,
  sqliteTableName,
  withNulls,
} from '@app/read-models';
import { LedgerSimulation } from '@app/read-models/testing/ledger-simulation';
import { describeWithServer, mongoUri } from '../support/servers';

jest.setTimeout(600_000);

const REPO = resolve(__dirname, '../..');
/** SQLite gets the full 100,000; FerretDB scans a collection on every update (~250 events/s per projection), so 1,000 there. */
const SQLITE_EVENTS = 100_000;
const MONGO_EVENTS = 1_000;

async function loadSimulation(events: SqliteEventStore, count: number): Promise<LedgerSimulation> {
  const simulation = LedgerSimulation.run({ events: count, seed: 2026, customers: Math.round(count / 50) });
  for (const append of simulation.appends) await events.appendToStream(append.streamId, append.events);
  return simulation;
}

/** The CLI's rebuild, in its own process against the same SQLite file, as an operator would run it. */
function rebuildInAnotherProcess(file: string): Promise<{ reports: Array<{ name: string; events: number; checkpoint: number }>; progress: RebuildProgress[] }> {
  const script = `
    const { openSqlite } = require('@app/event-store/sqlite/sqlite-database');
    const { SqliteEventStore } = require('@app/event-store/sqlite/sqlite-event-store');
    const { ProjectionRunner, SqliteProjectionStore } = require('@app/read-models');
    (async () => {
      const db = openSqlite(process.env.LOYALTY_DB);
      const runner = new ProjectionRunner(new SqliteEventStore(db), new SqliteProjectionStore(db));
      const progress = [];
      const reports = await runner.rebuild('all', (p) => progress.push(p));
      db.close();
      process.stdout.write(JSON.stringify({ reports, progress: progress.filter((p, i) => i % 10 === 0 || p.done === p.total) }));
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', '-e', script], {
      cwd: REPO,
      env: { ...process.env, LOYALTY_DB: file, TS_NODE_PROJECT: join(REPO, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => (code === 0 ? resolvePromise(JSON.parse(out)) : reject(new Error(`rebuild process exited ${code}: ${err}`))));
  });
}

describe('projection rebuild at scale: SQLite', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rebuild-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`rebuilds ${SQLITE_EVENTS.toLocaleString('en')} events from another process while the API serves, and the rebuilt views equal the live ones row for row`, async () => {
    const file = join(dir, 'loyalty.db');
    const db = openSqlite(file);
    const events = new SqliteEventStore(db, { pollIntervalMs: 20 });
    // test data load only: one fsync per append would make loading 100k events take minutes
    db.pragma('synchronous = OFF');
    const simulation = await loadSimulation(events, SQLITE_EVENTS);
    db.pragma('synchronous = FULL');
    const head = await events.headPosition();
    expect(simulation.eventCount).toBeGreaterThanOrEqual(SQLITE_EVENTS);

    // the live path all the way (not the catch-up by rebuild), so the comparison below sets the two paths against each other
    const runner = new ProjectionRunner(events, new SqliteProjectionStore(db), ALL_PROJECTIONS, { catchUpAsRebuildFrom: 0 });
    const views = new SqliteReadModels(db);
    // a failed expectation must still stop the runner's loop, or jest waits on it forever
    try {
      const replayStarted = performance.now();
      await runner.start();
      await runner.waitFor(head, { timeoutMs: 300_000 });
      const liveSeconds = (performance.now() - replayStarted) / 1000;
      const snapshot = (): Record<string, unknown[]> =>
        Object.fromEntries(
          ALL_PROJECTIONS.flatMap((projection) => projection.collections).map((collection) => [
            collection.name,
            db.prepare(`SELECT * FROM "${sqliteTableName(collection)}" ORDER BY id`).all(),
          ]),
        );
      const live = snapshot();
      expect(live.transfers.length).toBeGreaterThan(SQLITE_EVENTS / 3);

      // the API keeps answering from the live tables while the other process rebuilds
      const rebuilding = rebuildInAnotherProcess(file);
      const transfersShadow = sqliteTableName(ALL_PROJECTIONS.flatMap((projection) => projection.collections).find((collection) => collection.name === 'transfers') as Parameters<typeof sqliteTableName>[0], 'rebuild');
      const shadowExists = db.prepare<[string], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?");
      // counts only listings served while the other process was filling the shadow table, not merely before it started
      let servedDuringRebuild = 0;
      let settled = false;
      void rebuilding.finally(() => (settled = true)).catch(() => undefined);
      while (!settled) {
        const rebuildRunning = shadowExists.get(transfersShadow) !== undefined;
        const page = await views.transfers.list({ tenant: 'acme', storeCode: 'DEFAULT', sort: 'value', direction: 'DESC', perPage: 10 });
        expect(page.rows).toHaveLength(10);
        if (rebuildRunning && shadowExists.get(transfersShadow) !== undefined) servedDuringRebuild += 1;
        await new Promise((r) => setTimeout(r, 50));
      }
      const { reports, progress } = await rebuilding;
      expect(reports.map((report) => [report.name, report.events, report.checkpoint])).toEqual(runner.list().map((name) => [name, simulation.eventCount, head]));
      expect(progress.at(-1)).toMatchObject({ done: simulation.eventCount, total: simulation.eventCount });
      expect(progress.every((p) => p.eventsPerSecond >= 0 && p.etaSeconds >= 0)).toBe(true);
      expect(servedDuringRebuild).toBeGreaterThan(0);

      expect(snapshot()).toEqual(live);
      // the API's own loop follows on from the swapped-in views
      const position = (await events.appendToStream('pointsAccount-acme:DEFAULT:c000001', [
        { id: randomUUID(), type: 'PointsAdded', data: { transferId: 'after-swap', type: 'adding', points: 123, state: 'active', createdAt: '2027-01-01T00:00:00.000Z' }, metadata: { tenant: 'acme', storeCode: 'DEFAULT', issuer: 'api' } },
      ])).position;
      await runner.waitFor(position);
      expect((await views.transfers.byId('acme', 'DEFAULT', 'after-swap'))?.value).toBe(123);
      // eslint-disable-next-line no-console
      console.log(`[rebuild] ${simulation.eventCount} events: live catch-up of ${runner.list().length} projections ${liveSeconds.toFixed(1)} s; rebuild ${reports.map((r) => `${r.name} ${Math.round(r.events / (r as unknown as { seconds: number }).seconds)} ev/s`).join(', ')}; ${servedDuringRebuild} listings served meanwhile`);
    } finally {
      await runner.stop();
      await events.close();
      db.close();
    }
  });
});

describeWithServer('projection rebuild at scale: MongoDB', mongoUri, 'MONGODB_URI', () => {
  it(`rebuilds ${MONGO_EVENTS.toLocaleString('en')} events into the next generation and the views equal the live ones row for row`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rebuild-mongo-'));
    const db = openSqlite(join(dir, 'events.db'));
    const events = new SqliteEventStore(db, { pollIntervalMs: 20 });
    const client = await new MongoClient(mongoUri as string).connect();
    const mongo = client.db(`rebuild_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
    let runner: ProjectionRunner | undefined;
    try {
      const simulation = await loadSimulation(events, MONGO_EVENTS);
      const head = await events.headPosition();
      runner = new ProjectionRunner(events, new MongoProjectionStore(mongo, { dropOldGenerationAfterMs: 0 }), ALL_PROJECTIONS, { batchSize: 1_000 });
      await runner.start();
      await runner.waitFor(head, { timeoutMs: 300_000 });
      const snapshot = async (): Promise<Record<string, unknown[]>> => {
        const out: Record<string, unknown[]> = {};
        for (const projection of ALL_PROJECTIONS) {
          const checkpoint = await mongo.collection<MongoCheckpoint>(MONGO_CHECKPOINTS).findOne({ _id: projection.name });
          for (const collection of projection.collections) {
            const docs = await mongo.collection<{ _id: string }>(mongoCollectionName(collection, checkpoint?.generation ?? 0)).find({}).sort({ _id: 1 }).toArray();
            out[collection.name] = docs.map((doc) => Object.fromEntries(Object.entries(withNulls(collection, doc)).sort(([a], [b]) => a.localeCompare(b))));
          }
        }
        return out;
      };
      const live = await snapshot();
      const views = new MongoReadModels(mongo);
      const listedTotal = live.transfers.filter((row) => (row as { storeCode: string }).storeCode === 'DEFAULT').length;
      // the API keeps listing while the next generation is built and swapped in: every answer is whole
      let rebuilt = false;
      const rebuilding = runner.rebuild('all').finally(() => (rebuilt = true));
      let listedDuringRebuild = 0;
      while (!rebuilt) {
        const page = await views.transfers.list({ tenant: 'acme', storeCode: 'DEFAULT', perPage: 10 });
        expect(page.total).toBe(listedTotal);
        expect(page.rows).toHaveLength(10);
        if (!rebuilt) listedDuringRebuild += 1;
        await new Promise((r) => setTimeout(r, 50));
      }
      const reports = await rebuilding;
      expect(listedDuringRebuild).toBeGreaterThan(1);
      expect(reports.map((report) => [report.events, report.checkpoint])).toEqual(runner.list().map(() => [simulation.eventCount, head]));
      expect(await snapshot()).toEqual(live);
      const generations = await mongo.collection<MongoCheckpoint>(MONGO_CHECKPOINTS).find({}).toArray();
      expect(generations.map((checkpoint) => checkpoint.generation)).toEqual(runner.list().map(() => 1));
      // a reader that has not looked at the generation since the swap (the one above may still point at the
      // old collections for its 1 s generation cache, which this test drops at once instead of after 5 s)
      expect((await new MongoReadModels(mongo).transfers.list({ tenant: 'acme', storeCode: 'DEFAULT' })).total).toBe(listedTotal);
    } finally {
      await runner?.stop();
      await events.close();
      db.close();
      await mongo.dropDatabase().catch(() => undefined);
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
