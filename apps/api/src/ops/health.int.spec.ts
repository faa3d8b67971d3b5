import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import { EventStore, EventStoreDbEventStore, openSqlite, SqliteEventStore } from '@app/event-store';
import { INFRASTRUCTURE, Infrastructure, MongoLeaseStore } from '@app/engine';
import { MongoProjectionStore, MongoReadModels, ProjectionRunner } from '@app/read-models';
import { describeWithServer, eventStoreDbConnectionString, mongoUri } from '../../../../test/support/servers';
import { freePort } from '../../../../test/support/ferretdb';
import { OpsMetrics } from './metrics';
import { OpsModule } from './ops.module';

/**
 * Readiness in the distributed profile: the MongoDB read store (FerretDB here) and its projections.
 * The event store is EventStoreDB when EVENTSTORE_CONNECTION_STRING is given, else a SQLite one:
 * no EventStoreDB server runs on our machines, and the check under test here is the read store's.
 */
describeWithServer('readiness with a MongoDB read store (FerretDB)', mongoUri, 'MONGODB_URI', () => {
  const opened: Array<() => Promise<void>> = [];

  async function distributedInfrastructure(uri: string, options: { serverSelectionTimeoutMS?: number } = {}): Promise<Infrastructure> {
    const client = new MongoClient(uri, options);
    const mongo = client.db(`ready_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
    let eventStore: EventStore;
    if (eventStoreDbConnectionString) {
      eventStore = new EventStoreDbEventStore(eventStoreDbConnectionString);
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'ready-events-'));
      const db = openSqlite(join(dir, 'events.db'));
      eventStore = new SqliteEventStore(db);
      opened.push(async () => (db.close(), rmSync(dir, { recursive: true, force: true })));
    }
    const projectionStore = new MongoProjectionStore(mongo);
    const runner = new ProjectionRunner(eventStore, projectionStore);
    const infrastructure: Infrastructure = {
      profile: 'distributed',
      eventStore,
      projectionStore,
      readModels: new MongoReadModels(mongo),
      runner,
      mongo,
      leases: new MongoLeaseStore(mongo),
      close: async () => {
        await runner.stop();
        await mongo.dropDatabase().catch(() => undefined);
        await client.close();
      },
    };
    opened.unshift(() => infrastructure.close());
    return infrastructure;
  }

  async function opsApp(infrastructure: Infrastructure): Promise<NestFastifyApplication> {
    @Global()
    @Module({ providers: [{ provide: INFRASTRUCTURE, useValue: infrastructure }], exports: [INFRASTRUCTURE] })
    class InfrastructureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [InfrastructureModule, OpsModule.forRoot({ metrics: new OpsMetrics(infrastructure), readyMaxLag: 2 })],
    }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    opened.unshift(() => app.close());
    return app;
  }

  afterEach(async () => {
    for (const close of opened.splice(0)) await close();
  });

  it('is ready with the read store reachable and the projections caught up, and not while they are held back', async () => {
    const infrastructure = await distributedInfrastructure(mongoUri as string);
    await infrastructure.runner.start();
    const app = await opsApp(infrastructure);
    const ready = () => request(app.getHttpServer()).get('/health/ready');
    expect((await ready().expect(200)).body.details).toEqual({ eventStore: { status: 'up' }, readStore: { status: 'up' }, projections: { status: 'up' } });

    await infrastructure.runner.stop();
    const customerId = randomUUID();
    const metadata = { tenant: 't1', storeCode: 'S1', issuer: 'api', actor: 'ops-test' };
    const at = new Date().toISOString();
    await infrastructure.eventStore.appendToStream(`pointsAccount-t1:S1:${customerId}`, [
      { id: randomUUID(), type: 'AccountOpened', data: { accountId: randomUUID(), tenant: 't1', storeCode: 'S1', customerId, openedAt: at }, metadata },
      ...[1, 2].map(() => ({ id: randomUUID(), type: 'PointsAdded', data: { transferId: randomUUID(), type: 'adding', points: 100, state: 'active', createdAt: at }, metadata })),
    ]);
    expect((await ready().expect(503)).body.details).toEqual({ eventStore: { status: 'up' }, readStore: { status: 'up' }, projections: { status: 'down' } });

    await infrastructure.runner.start();
    await infrastructure.runner.waitFor(await infrastructure.eventStore.headPosition());
    await ready().expect(200);
  });

  it('is not ready when the MongoDB read store cannot be reached, and says only which check failed', async () => {
    const nobody = `mongodb://127.0.0.1:${await freePort()}/`;
    const app = await opsApp(await distributedInfrastructure(nobody, { serverSelectionTimeoutMS: 300 }));
    const response = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(response.body).toEqual({
      status: 'error',
      info: { eventStore: { status: 'up' } },
      error: { readStore: { status: 'down' }, projections: { status: 'down' } },
      details: { eventStore: { status: 'up' }, readStore: { status: 'down' }, projections: { status: 'down' } },
    });
    await request(app.getHttpServer()).get('/health/live').expect(200);
  });
});
