import { MongoServerError, type Collection, type Db } from 'mongodb';
import { isScope } from '../scopes';
import type { ClientChanges, ClientRecord, StoreRecord, TenantDirectory, TenantRecord } from '../tenant-directory.port';

interface TenantDocument {
  _id: string;
  createdAt: string;
}

/** _id is the store code: the primary key makes it globally unique without a second index. */
interface StoreDocument {
  _id: string;
  tenant: string;
  currency: string;
  createdAt: string;
}

interface ClientDocument {
  _id: string;
  tenant: string;
  scopes: string[];
  secretHash: string;
  revoked: boolean;
  apiKey?: string;
  apiSecretHash?: string;
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
  return { storeCode: document._id, tenant: document.tenant, currency: document.currency, createdAt: document.createdAt };
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
  private readonly clients: Collection<ClientDocument>;
  private readonly settings: Collection<SettingDocument>;

  constructor(db: Db, collectionPrefix = 'auth_') {
    this.tenants = db.collection<TenantDocument>(`${collectionPrefix}tenants`);
    this.stores = db.collection<StoreDocument>(`${collectionPrefix}stores`);
    this.clients = db.collection<ClientDocument>(`${collectionPrefix}clients`);
    this.settings = db.collection<SettingDocument>(`${collectionPrefix}settings`);
  }

  async ensureSchema(): Promise<void> {
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

  insertStore(store: StoreRecord): Promise<boolean> {
    return insertIfAbsent(this.stores, {
      _id: store.storeCode,
      tenant: store.tenant,
      currency: store.currency,
      createdAt: store.createdAt,
    });
  }

  async findStore(storeCode: string): Promise<StoreRecord | undefined> {
    const document = await this.stores.findOne({ _id: storeCode });
    return document ? toStore(document) : undefined;
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
