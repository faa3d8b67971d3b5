import type { Infrastructure } from '../infrastructure';
import { MongoSubscriberStore } from './mongo-subscriber-store';
import { SqliteSubscriberStore } from './sqlite-subscriber-store';
import type { SubscriberStore } from './subscriber-store.port';

/** The profile's subscriber store, next to its read models (the SQLite file, or MongoDB), ready to use. */
export async function openSubscriberStore(infrastructure: Pick<Infrastructure, 'sqlite' | 'mongo'>): Promise<SubscriberStore> {
  const store = infrastructure.sqlite ? new SqliteSubscriberStore(infrastructure.sqlite) : new MongoSubscriberStore(infrastructure.mongo as NonNullable<Infrastructure['mongo']>);
  await store.prepare();
  return store;
}
