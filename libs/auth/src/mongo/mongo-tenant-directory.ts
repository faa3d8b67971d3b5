import { MongoServerError, type Collection, type Db } from 'mongodb';
import { isScope } from '../scopes';
import type { ClientChanges, ClientRecord, StoreRecord, TenantDirectory, TenantRecord } from '../tenant-directory.port';

interface TenantDocument {
  _id: string;
  createdAt: string;
}

/** _id is `<tenant>:<storeCode>`: the primary key makes a code unique within its tenant without a second index. */
interface StoreDocument {
  _id: string;
  tenant: string;
  storeCode: string;
  currency: string;
  createdAt: string;
}

/** _id is `<tenant>:<alias>`. */
interface StoreAliasDocument {
  _id: string;
  tenant: string;
  storeCode: string;
}

interface ClientDocument {
  _id: string;
  tenant: string;
  scopes: string[];
  secretHash: string;
  revoked: boolean;
  apiKey?: string;
  apiSecretHash?: string;
  defaultStore?: string;
  createdAt: string;
}

interface SettingDocument {
  _id: string;
  value: string;
}

const DUPLICATE_KEY = 11000;

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

/** insertOne that answers false instead of throwing when the _id is taken. */
async function insertIfAbsent<T extends { _id: string }>(collection: Collection<T>, document: T): Promise<boolean> {
  try {
    // The driver's OptionalUnlessRequiredId<T> cannot be inferred through the generic T.
    await collection.insertOne(document as Parameters<Collection<T>['insertOne']>[0]);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

function toStore(document: StoreDocument): StoreRecord {
  return { storeCode: document.storeCode, tenant: document.tenant, currency: document.currency, createdAt: document.createdAt };
}

function toClient(document: ClientDocument): ClientRecord {
  return {
    clientId: document._id,
    tenant: document.tenant,
    scopes: document.scopes.filter(isScope),
    secretHash: document.secretHash,
    revoked: document.revoked,
    ...(document.apiKey !== undefined ? { apiKey: document.apiKey } : {}),
    ...(document.apiSecretHash !== undefined ? { apiSecretHash: document.apiSecretHash } : {}),
    ...(document.defaultStore !== undefined ? { defaultStore: document.defaultStore } : {}),
    createdAt: document.createdAt,
  };
}

/**
 * The distributed profile's registry. Uses only single-document writes and plain indexes
 * (no transactions, no partial indexes) so it runs on MongoDB and FerretDB alike.
 */
export class MongoTenantDirectory implements TenantDirectory {
  private readonly tenants: Collection<TenantDocument>;
  private readonly stores: Collection<StoreDocument>;
  private readonly storeAliases: Collection<StoreAliasDocument>;
  private readonly clients: Collection<ClientDocument>;
  private readonly settings: Collection<SettingDocument>;

  constructor(db: Db, collectionPrefix = 'auth_') {
    this.tenants = db.collection<TenantDocument>(`${collectionPrefix}tenants`);
    this.stores = db.collection<StoreDocument>(`${collectionPrefix}stores`);
    this.storeAliases = db.collection<StoreAliasDocument>(`${collectionPrefix}store_aliases`);
    this.clients = db.collection<ClientDocument>(`${collectionPrefix}clients`);
    this.settings = db.collection<SettingDocument>(`${collectionPrefix}settings`);
  }

  async ensureSchema(): Promise<void> {
    await this.migrateStores();
    await this.stores.createIndex({ tenant: 1, _id: 1 }, { name: 'by_tenant' });
    await this.clients.createIndex({ tenant: 1, _id: 1 }, { name: 'by_tenant' });
    // API keys are 96 random bits minted here, so lookups need an index but uniqueness is by construction.
    await this.clients.createIndex({ apiKey: 1 }, { name: 'by_api_key' });
  }

  insertTenant(tenant: TenantRecord): Promise<boolean> {
    return insertIfAbsent(this.tenants, { _id: tenant.id, createdAt: tenant.createdAt });
  }

  async findTenant(id: string): Promise<TenantRecord | undefined> {
    const document = await this.tenants.findOne({ _id: id });
    return document ? { id: document._id, createdAt: document.createdAt } : undefined;
  }

  /** Stores written before codes were scoped by tenant had the bare code as _id: re-keyed once, each on its own. */
  private async migrateStores(): Promise<void> {
    for (const old of await this.stores.find({ storeCode: { $exists: false } }).toArray()) {
      await insertIfAbsent(this.stores, { ...old, _id: `${old.tenant}:${old._id}`, storeCode: old._id });
      await this.stores.deleteOne({ _id: old._id, storeCode: { $exists: false } });
    }
  }

  insertStore(store: StoreRecord): Promise<boolean> {
    return insertIfAbsent(this.stores, {
      _id: `${store.tenant}:${store.storeCode}`,
      tenant: store.tenant,
      storeCode: store.storeCode,
      currency: store.currency,
      createdAt: store.createdAt,
    });
  }

  async findStore(tenant: string, storeCode: string): Promise<StoreRecord | undefined> {
    const document = await this.stores.findOne({ _id: `${tenant}:${storeCode}` });
    return document ? toStore(document) : undefined;
  }

  insertStoreAlias(tenant: string, alias: string, storeCode: string): Promise<boolean> {
    return insertIfAbsent(this.storeAliases, { _id: `${tenant}:${alias}`, tenant, storeCode });
  }

  async findStoreAlias(tenant: string, alias: string): Promise<string | undefined> {
    return (await this.storeAliases.findOne({ _id: `${tenant}:${alias}` }))?.storeCode;
  }

  async listStores(tenant: string): Promise<StoreRecord[]> {
    const documents = await this.stores.find({ tenant }).sort({ _id: 1 }).toArray();
    return documents.map(toStore);
  }

  insertClient(client: ClientRecord): Promise<boolean> {
    return insertIfAbsent(this.clients, {
      _id: client.clientId,
      tenant: client.tenant,
      scopes: [...client.scopes],
      secretHash: client.secretHash,
      revoked: client.revoked,
      ...(client.apiKey !== undefined ? { apiKey: client.apiKey } : {}),
      ...(client.apiSecretHash !== undefined ? { apiSecretHash: client.apiSecretHash } : {}),
      ...(client.defaultStore !== undefined ? { defaultStore: client.defaultStore } : {}),
      createdAt: client.createdAt,
    });
  }

  async findClient(clientId: string): Promise<ClientRecord | undefined> {
    const document = await this.clients.findOne({ _id: clientId });
    return document ? toClient(document) : undefined;
  }

  async findClientByApiKey(apiKey: string): Promise<ClientRecord | undefined> {
    const document = await this.clients.findOne({ apiKey });
    return document ? toClient(document) : undefined;
  }

  async updateClient(clientId: string, changes: ClientChanges): Promise<void> {
    const set: Partial<Omit<ClientDocument, '_id'>> = {};
    if (changes.scopes !== undefined) set.scopes = [...changes.scopes];
    if (changes.secretHash !== undefined) set.secretHash = changes.secretHash;
    if (changes.revoked !== undefined) set.revoked = changes.revoked;
    if (changes.apiKey !== undefined) set.apiKey = changes.apiKey;
    if (changes.apiSecretHash !== undefined) set.apiSecretHash = changes.apiSecretHash;
    if (changes.defaultStore !== undefined) set.defaultStore = changes.defaultStore;
    if (Object.keys(set).length === 0) return;
    await this.clients.updateOne({ _id: clientId }, { $set: set });
  }

  async listClients(tenant: string): Promise<ClientRecord[]> {
    const documents = await this.clients.find({ tenant }).sort({ _id: 1 }).toArray();
    return documents.map(toClient);
  }

  countClients(): Promise<number> {
    return this.clients.countDocuments({});
  }

  async ensureSetting(key: string, valueIfAbsent: string): Promise<string> {
    await insertIfAbsent(this.settings, { _id: key, value: valueIfAbsent });
    const document = await this.settings.findOne({ _id: key });
    if (!document) throw new Error(`setting ${key} vanished right after it was written`);
    return document.value;
  }
}
