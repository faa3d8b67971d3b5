import { randomUUID } from 'node:crypto';
import { Db, MongoClient } from 'mongodb';
import { describeWithServer, mongoUri } from '../../../../test/support/servers';
import { TRANSFERS } from '../documents';
import { transfersProjection } from '../projections/transfers.projection';
import { MongoProjectionStore, mongoCollectionName } from './mongo-projection-store';

describeWithServer('MongoProjectionStore indexes (FerretDB)', mongoUri, 'MONGODB_URI', () => {
  let client: MongoClient;
  let db: Db;

  beforeEach(async () => {
    client = await new MongoClient(mongoUri as string).connect();
    db = client.db(`indexes_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
  });
  afterEach(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });

  const userIndexes = async (name: string) =>
    (await db.collection(name).indexes()).filter((index) => index.name !== '_id_').map((index) => ({ name: index.name, key: Object.keys(index.key) }));

  it('a collection from an older index list gets the current indexes, named by their fields, and loses the obsolete ones on start', async () => {
    const name = mongoCollectionName(TRANSFERS, 0);
    await db.createCollection(name);
    // what an older version left: positional names, one on fields the spec no longer lists, one on a current index's fields
    await db.collection(name).createIndexes([
      { key: { tenant: 1, storeCode: 1, retiredField: 1 }, name: 'ix_0' },
      { key: Object.fromEntries(TRANSFERS.indexes[1].map((field) => [field, 1])), name: 'ix_1' },
    ]);

    const store = new MongoProjectionStore(db, { dropOldGenerationAfterMs: 0 });
    await store.prepare(transfersProjection);
    const after = await userIndexes(name);
    expect(after.map((index) => index.key).sort()).toEqual(TRANSFERS.indexes.map((fields) => [...fields]).sort());
    expect(after.map((index) => index.name)).not.toContain('ix_0');
    // the one already on current fields is kept as it is, the others are named by their fields
    expect(after.find((index) => index.name === 'ix_1')?.key).toEqual(TRANSFERS.indexes[1]);
    expect(after.find((index) => index.key.join() === TRANSFERS.indexes[0].join())?.name).toBe(`ix_${TRANSFERS.indexes[0].join('_')}`);

    // a second start finds everything in place and changes nothing
    await store.prepare(transfersProjection);
    expect(await userIndexes(name)).toEqual(after);
  });
});
