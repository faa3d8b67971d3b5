import { randomUUID } from 'node:crypto';
import { Db, MongoClient } from 'mongodb';
import { Client } from 'pg';
import { PostgresEventStore, StoredEvent } from '@app/event-store';
import { fold, parsePointsAccountStream, PointsAccountEvent, toDecimal } from '@app/ledger';
import {
  ALL_PROJECTIONS,
  MONGO_CHECKPOINTS,
  MongoCheckpoint,
  mongoCollectionName,
  MongoProjectionStore,
  MongoReadModels,
  ProjectionRunner,
  withNulls,
} from '@app/read-models';
import { buildIfStale, BuiltProcess, startBuilt } from '../support/built-engine';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../support/engine';
import { freePort } from '../support/ferretdb';
import { databaseUrl, describeWithServer, mongoUri } from '../support/servers';

/** The bound on the load: it stops earlier once both kills and restarts are behind it. */
const MAX_OPERATIONS = 700;
const CUSTOMERS = 16;
const WORKERS = 6;

type Kind = 'add' | 'expiring-add' | 'spend' | 'p2p' | 'cancel';

interface Operation {
  n: number;
  kind: Kind;
  key: string;
  path: string;
  body: Record<string, unknown>;
  /** the final answer, after retries on the other replica while one is down */
  answer?: { status: number; body: Record<string, unknown> };
  attempts: number;
}

/**
 * The distributed profile as an operator runs it: PostgreSQL events, MongoDB (FerretDB) read
 * models, two API replicas and one projector, each `node dist/apps/<app>/src/main.js` on its own
 * port. A replica and then the projector are killed with SIGKILL under load and restarted.
 */
describeWithServer(
  'distributed topology: two API replicas and a projector on PostgreSQL + FerretDB',
  databaseUrl && mongoUri ? databaseUrl : undefined,
  'DATABASE_URL and MONGODB_URI',
  () => {
    const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
    const schema = `topology_${suffix}`;
    const database = `topology_${suffix}`;
    const rebuiltDatabase = `topology_rebuilt_${suffix}`;
    const customers = Array.from({ length: CUSTOMERS }, () => randomUUID());
    const env: Record<string, string> = {
      LOYALTY_PROFILE: 'distributed',
      LOYALTY_EVENT_STORE: 'postgres',
      DATABASE_URL: databaseUrl as string,
      LOYALTY_POSTGRES_SCHEMA: schema,
      MONGODB_URI: mongoUri as string,
      MONGODB_DATABASE: database,
      // every replica signs and verifies with the same key, so a token from one works on the other
      LOYALTY_TOKEN_KEYS: `topology:${'k'.repeat(48)}`,
      LOYALTY_RATE_LIMIT_PER_MINUTE: '1000000000',
      LOYALTY_SCHEDULER_INTERVAL_MS: '500',
      LOYALTY_SCHEDULER_LEASE_MS: '3000',
      HOST: '127.0.0.1',
    };
    let ports: [number, number];
    const replicas: BuiltProcess[] = [];
    let projector: BuiltProcess;
    let token: string;
    let mongo: MongoClient;
    let events: PostgresEventStore;

    const url = (replica: 0 | 1) => `http://127.0.0.1:${ports[replica]}`;
    const startReplica = async (replica: 0 | 1) => (replicas[replica] = await startBuilt('api', { ...env, PORT: String(ports[replica]) }));
    const startProjector = async () => (projector = await startBuilt('projector', env));

    async function call(replica: 0 | 1, method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: Record<string, unknown> }> {
      const response = await fetch(`${url(replica)}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    }

    beforeAll(async () => {
      buildIfStale(['api', 'projector']);
      ports = [await freePort(), await freePort()];
      mongo = await new MongoClient(mongoUri as string).connect();
      events = new PostgresEventStore({ connectionString: databaseUrl as string, schema });
      // one at a time: the first start creates the schema and the bootstrap client
      await startProjector();
      await startReplica(0);
      await startReplica(1);
      const minted = await fetch(`${url(0)}/api/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials', client_id: TEST_CLIENT_ID, client_secret: TEST_CLIENT_SECRET }),
      });
      token = ((await minted.json()) as { access_token: string }).access_token;
    }, 300_000);

    afterAll(async () => {
      await Promise.all([...replicas, projector].filter(Boolean).map((process) => process.kill('SIGTERM')));
      await events?.close();
      await mongo?.db(database).dropDatabase().catch(() => undefined);
      await mongo?.db(rebuiltDatabase).dropDatabase().catch(() => undefined);
      await mongo?.close();
      const pg = new Client({ connectionString: databaseUrl });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pg.end();
    });

    it('each process runs what its role says: replicas serve only, the projector projects, consumes and holds the scheduler lease', async () => {
      expect(replicas[0].output()).toContain('in this process: no background work');
      expect(projector.output()).toContain('running projections (');
      expect(projector.output()).toContain('consumers (p2p-process-manager, webhooks)');
      await eventually(async () => (await schedulerLeaseHolder(mongo.db(database)))?.includes(`:${projector.child.pid}:`) ?? false);
    });

    it('a read on replica B right after a write acknowledged by replica A sees the write', async () => {
      for (let i = 0; i < 5; i++) {
        const customer = randomUUID();
        const added = await call(0, 'POST', '/api/DEFAULT/points/transfer/add', { transfer: { customer, points: `${i + 1}.25` } });
        expect(added.status).toBe(200);

        const summary = await call(1, 'GET', `/api/DEFAULT/customers/${customer}/points`);

        expect(summary).toMatchObject({ status: 200, body: { active: i + 1.25 } });
      }
    });

    it('under mixed load through both replicas, SIGKILL of a replica and then the projector loses nothing and doubles nothing', async () => {
      const operations: Operation[] = [];
      const addedTransfers: string[] = [];
      let next = 0;
      let stopAfter = MAX_OPERATIONS;
      const finished = () => operations.filter((op) => op.answer).length;

      const operation = (n: number): Operation => {
        const customer = customers[n % CUSTOMERS];
        const other = customers[(n * 7 + 3) % CUSTOMERS];
        const key = randomUUID();
        const cancelTarget = addedTransfers.length ? addedTransfers.splice((n * 13) % addedTransfers.length, 1)[0] : undefined;
        const kinds: Kind[] = ['add', 'spend', 'add', 'p2p', 'expiring-add', 'spend', 'cancel', 'add', 'p2p', 'spend'];
        const kind = kinds[n % kinds.length] === 'cancel' && !cancelTarget ? 'add' : kinds[n % kinds.length];
        if (kind !== 'cancel' && cancelTarget) addedTransfers.push(cancelTarget);
        switch (kind) {
          case 'add':
            return { n, kind, key, attempts: 0, path: '/api/DEFAULT/points/transfer/add', body: { transfer: { customer, points: '10.50' } } };
          case 'expiring-add':
            // expires while the load runs, so the scheduler (on the projector, under its lease) has lots to expire
            return {
              n, kind, key, attempts: 0,
              path: '/api/DEFAULT/points/transfer/add',
              body: { transfer: { customer, points: '3.00', validUntil: new Date(Date.now() + 2_000 + (n % 5) * 500).toISOString() } },
            };
          case 'spend':
            return { n, kind, key, attempts: 0, path: '/api/DEFAULT/points/transfer/spend', body: { transfer: { customer, points: '2.25' } } };
          case 'p2p':
            return { n, kind, key, attempts: 0, path: '/api/DEFAULT/admin/p2p-points-transfer', body: { transfer: { sender: customer, receiver: other, points: '1.75' } } };
          case 'cancel':
            return { n, kind, key, attempts: 0, path: `/api/DEFAULT/points/transfer/${cancelTarget}/cancel`, body: {} };
        }
      };

      /** Sends one operation until it has an answer that is not the server's fault, alternating replicas, with the same key. */
      const send = async (op: Operation): Promise<void> => {
        const deadline = Date.now() + 120_000;
        for (;;) {
          const replica = ((op.n + op.attempts) % 2) as 0 | 1;
          op.attempts++;
          try {
            const answer = await call(replica, 'POST', op.path, op.body, op.key);
            if (answer.status < 500) {
              op.answer = answer;
              if (answer.status === 200 && (op.kind === 'add' || op.kind === 'expiring-add')) addedTransfers.push(answer.body.pointsTransferId as string);
              return;
            }
          } catch {
            // the replica is down (killed, restarting) or the answer was cut: try again elsewhere
          }
          if (Date.now() > deadline) throw new Error(`operation ${op.n} (${op.kind}) got no answer in 120 s after ${op.attempts} attempts`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };

      const worker = async (): Promise<void> => {
        while (next < stopAfter) {
          const op = operation(next++);
          operations.push(op);
          await send(op);
        }
      };
      const untilFinished = async (count: number): Promise<void> => {
        while (finished() < count) await new Promise((resolve) => setTimeout(resolve, 20));
      };

      const chaos = async (): Promise<{ killedReplicaPid?: number; killedProjectorPid?: number; readWithoutProjector: { status: number; body: Record<string, unknown> } }> => {
        // funds first, so spends and p2p mostly succeed
        await untilFinished(60);
        const killedReplicaPid = replicas[0].child.pid;
        await replicas[0].kill('SIGKILL');
        await startReplica(0);
        await untilFinished(finished() + 60);
        const killedProjectorPid = projector.child.pid;
        await projector.kill('SIGKILL');
        // with no projector, a write is accepted and a read that must see it says so instead of answering stale
        const customer = randomUUID();
        expect((await call(0, 'POST', '/api/DEFAULT/points/transfer/add', { transfer: { customer, points: 1 } })).status).toBe(200);
        const readWithoutProjector = await call(1, 'GET', `/api/DEFAULT/customers/${customer}/points`);
        await startProjector();
        await untilFinished(finished() + 60);
        stopAfter = Math.min(stopAfter, next);
        return { killedReplicaPid, killedProjectorPid, readWithoutProjector };
      };

      const [killed] = await Promise.all([chaos(), ...Array.from({ length: WORKERS }, worker)]);
      expect(killed.killedReplicaPid).not.toBe(replicas[0].child.pid);
      expect(killed.readWithoutProjector).toMatchObject({ status: 503, body: { code: 'read_models_behind' } });
      expect(operations.length).toBeLessThanOrEqual(MAX_OPERATIONS);
      expect(operations.filter((op) => !op.answer || op.answer.status >= 500)).toEqual([]);
      // a retry of the same request under the same key, on either replica, replays and never conflicts
      expect(operations.filter((op) => op.answer?.body.code === 'idempotency_key_reused')).toEqual([]);
      expect(operations.filter((op) => op.answer?.status === 200).length).toBeGreaterThan(operations.length / 2);
      // the load did cross both kills: some operations needed the other replica
      expect(operations.some((op) => op.attempts > 1)).toBe(true);

      // everything the projector must do, it does after its restart: views caught up and every due lot expired
      const head = await events.headPosition();
      const readModels = new MongoReadModels(mongo.db(database));
      await eventually(async () => {
        const checkpoints = await mongo.db(database).collection<MongoCheckpoint>(MONGO_CHECKPOINTS).find({}).toArray();
        const views = checkpoints.filter((checkpoint) => ALL_PROJECTIONS.some((projection) => projection.name === checkpoint._id));
        const due = await readModels.lots.due(new Date().toISOString(), 10);
        return views.length === ALL_PROJECTIONS.length && views.every((checkpoint) => checkpoint.position >= head) && due.length === 0;
      });
      const log = await events.readAll();

      // every acknowledged operation is in the log once
      const count = (type: string, match: (data: Record<string, unknown>) => boolean) =>
        log.filter((event) => event.type === type && match(event.data as Record<string, unknown>)).length;
      for (const op of operations.filter((op) => op.answer?.status === 200)) {
        const transferId = op.answer?.body.pointsTransferId as string;
        if (op.kind === 'add' || op.kind === 'expiring-add') expect([op.n, count('PointsAdded', (data) => data.transferId === transferId)]).toEqual([op.n, 1]);
        if (op.kind === 'spend') expect([op.n, count('PointsSpent', (data) => data.transferId === transferId)]).toEqual([op.n, 1]);
        if (op.kind === 'p2p') {
          const spent = log.filter((event) => event.type === 'PointsSpent' && (event.data as { transferId: string }).transferId === transferId);
          expect([op.n, spent.length]).toEqual([op.n, 1]);
          const p2pId = (spent[0].data as { p2pId: string }).p2pId;
          // the receiver's half, by the API or by the consumer on the projector after a crash, exactly once
          expect([op.n, count('PointsAdded', (data) => data.p2pId === p2pId)]).toEqual([op.n, 1]);
        }
        if (op.kind === 'cancel') {
          const cancelled = op.path.split('/')[5];
          expect([op.n, count('PointsCancelled', (data) => data.transferId === cancelled)]).toEqual([op.n, 1]);
        }
      }

      // no lot expired twice, and the scheduler did expire lots, the last ones under the restarted projector's lease
      const expiries = new Map<string, number>();
      for (const event of log.filter((event) => event.type === 'PointsExpired')) {
        const lotId = (event.data as { lotId: string }).lotId;
        expiries.set(lotId, (expiries.get(lotId) ?? 0) + 1);
      }
      expect([...expiries.values()].filter((times) => times > 1)).toEqual([]);
      expect(expiries.size).toBeGreaterThan(0);
      expect(killed.killedProjectorPid).not.toBe(projector.child.pid);
      expect(await schedulerLeaseHolder(mongo.db(database))).toContain(`:${projector.child.pid}:`);

      // every balance, read through either replica, equals the fold of its account's events
      const streams = new Map<string, StoredEvent[]>();
      for (const event of log) if (parsePointsAccountStream(event.streamId)) streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), event]);
      expect(streams.size).toBeGreaterThanOrEqual(CUSTOMERS);
      for (const [streamId, stream] of streams) {
        const account = parsePointsAccountStream(streamId);
        if (account?.storeCode !== 'DEFAULT') continue;
        const folded = fold(stream.map((event) => ({ type: event.type, data: event.data }) as PointsAccountEvent));
        const summary = await call((stream.length % 2) as 0 | 1, 'GET', `/api/DEFAULT/customers/${account.customerId}/points`);
        expect({ customer: account.customerId, active: summary.body.active }).toEqual({ customer: account.customerId, active: toDecimal(folded.balance.available) });
      }

      // the views the killed-and-restarted projector kept equal a rebuild of the whole log from position 0
      const rebuilt = mongo.db(rebuiltDatabase);
      const runner = new ProjectionRunner(events, new MongoProjectionStore(rebuilt, { dropOldGenerationAfterMs: 0 }));
      await runner.rebuild('all');
      expect(await views(rebuilt)).toEqual(await views(mongo.db(database)));
    });
  },
);

/** Every view document of every projection, as stored in the live generation, in key order. */
async function views(db: Db): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const projection of ALL_PROJECTIONS) {
    const checkpoint = await db.collection<MongoCheckpoint>(MONGO_CHECKPOINTS).findOne({ _id: projection.name });
    for (const collection of projection.collections) {
      const docs = await db.collection<{ _id: string }>(mongoCollectionName(collection, checkpoint?.generation ?? 0)).find({}).sort({ _id: 1 }).toArray();
      out[collection.name] = docs.map((doc) => Object.fromEntries(Object.entries(withNulls(collection, doc)).sort(([a], [b]) => a.localeCompare(b))));
    }
  }
  return out;
}

async function schedulerLeaseHolder(db: Db): Promise<string | undefined> {
  const [last] = await db.collection<{ name: string; holder: string; term: number }>('leases').find({ name: 'scheduler' }).sort({ term: -1 }).limit(1).toArray();
  return last?.holder;
}

async function eventually(done: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
