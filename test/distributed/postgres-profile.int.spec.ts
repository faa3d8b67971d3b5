import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';
import { PostgresEventStore } from '@app/event-store';
import type { RebuildProgress } from '@app/read-models';
import { startTestEngine, TestEngine } from '../support/engine';
import { databaseUrl, describeWithServer, mongoUri } from '../support/servers';

/** The distributed profile on PostgreSQL events and MongoDB (FerretDB) read models, over real HTTP. */
describeWithServer(
  'distributed profile on PostgreSQL + MongoDB',
  databaseUrl && mongoUri ? databaseUrl : undefined,
  'DATABASE_URL and MONGODB_URI',
  () => {
    const suffix = randomUUID().replace(/-/g, '').slice(0, 16);
    const schema = `profile_${suffix}`;
    const mongoDatabase = `profile_${suffix}`;
    let engine: TestEngine;
    const auth = () => ({ Authorization: `Bearer ${engine.token}` });

    beforeAll(async () => {
      engine = await startTestEngine({
        env: {
          LOYALTY_PROFILE: 'distributed',
          LOYALTY_EVENT_STORE: 'postgres',
          DATABASE_URL: databaseUrl as string,
          LOYALTY_POSTGRES_SCHEMA: schema,
          MONGODB_URI: mongoUri as string,
          MONGODB_DATABASE: mongoDatabase,
          LOYALTY_RUN_PROJECTOR: 'true',
          LOYALTY_RUN_SCHEDULER: 'false',
        },
      });
    });

    afterAll(async () => {
      await engine?.close();
      const pg = new Client({ connectionString: databaseUrl });
      await pg.connect();
      await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pg.end();
      const mongo = await new MongoClient(mongoUri as string).connect();
      await mongo.db(mongoDatabase).dropDatabase();
      await mongo.close();
    });

    it('adds points and reads them back in the summary at once, the events stored in PostgreSQL', async () => {
      const customer = randomUUID();

      await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: '12.34' } }).expect(200);
      const summary = await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(auth()).expect(200);

      expect(summary.body).toMatchObject({ active: 12.34, earned: 12.34 });
      expect(engine.infrastructure.eventStore).toBeInstanceOf(PostgresEventStore);
      const pg = new Client({ connectionString: databaseUrl });
      await pg.connect();
      const { rows } = await pg.query<{ type: string }>(`SELECT type FROM ${schema}.events WHERE stream_id LIKE $1`, [`%${customer}%`]);
      await pg.end();
      expect(rows.map((row) => row.type)).toContain('PointsAdded');
    });

    it('rebuilds the views from the PostgreSQL log with progress that ends at its total, and the summary is unchanged', async () => {
      const customer = randomUUID();
      await engine.http().post('/api/DEFAULT/points/transfer/add').set(auth()).send({ transfer: { customer, points: 5 } }).expect(200);
      await engine.http().post('/api/DEFAULT/points/transfer/spend').set(auth()).send({ transfer: { customer, points: '1.50' } }).expect(200);
      const stored = (await engine.infrastructure.eventStore.readAll()).length;
      const progress: RebuildProgress[] = [];

      const reports = await engine.infrastructure.runner.rebuild('all', (step) => progress.push(step));

      expect(reports.every((report) => report.events === stored)).toBe(true);
      expect(reports[0].checkpoint).toBe(await engine.infrastructure.eventStore.headPosition());
      expect(progress.at(-1)).toMatchObject({ done: stored, total: stored });
      const summary = await engine.http().get(`/api/DEFAULT/customers/${customer}/points`).set(auth()).expect(200);
      expect(summary.body).toMatchObject({ active: 3.5, spent: 1.5, earned: 5 });
    });
  },
);
