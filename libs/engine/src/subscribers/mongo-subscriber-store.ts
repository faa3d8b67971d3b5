import type { Collection, Db } from 'mongodb';
import type { DeliveryAttempt, EndpointChange, EnqueueRequest, OutboxDelivery, SettledAttempt, SubscriberStore, WebhookEndpointRecord } from './subscriber-store.port';

type EndpointDocument = Omit<WebhookEndpointRecord, 'id'> & { _id: string };
type OutboxDocument = OutboxDelivery & { _id: string };
type AttemptDocument = DeliveryAttempt & { seq: number; _id?: unknown };

function endpointOf(document: EndpointDocument): WebhookEndpointRecord {
  const { _id, ...rest } = document;
  return { id: _id, ...rest };
}

function outboxOf(document: OutboxDocument): OutboxDelivery {
  const { _id: _ignored, ...rest } = document;
  return rest;
}

/**
 * Subscriber state in MongoDB (and FerretDB): every write is one single-document atomic update.
 * Enqueueing inserts the outbox documents first (keyed by endpoint and position, so a repeat adds
 * nothing) and then moves the checkpoint compare-and-set; deliveries are only taken up to the
 * checkpoint, so documents a crash left past it wait until the checkpoint passes them again.
 */
export class MongoSubscriberStore implements SubscriberStore {
  readonly kind = 'mongodb' as const;
  private readonly checkpoints: Collection<{ _id: string; position: number }>;
  private readonly endpointsCollection: Collection<EndpointDocument>;
  private readonly outbox: Collection<OutboxDocument>;
  private readonly log: Collection<AttemptDocument>;
  private sequence = 0;

  constructor(db: Db) {
    this.checkpoints = db.collection('consumer_checkpoints');
    this.endpointsCollection = db.collection('webhook_endpoints');
    this.outbox = db.collection('webhook_outbox');
    this.log = db.collection('webhook_deliveries');
  }

  async prepare(): Promise<void> {
    await this.endpointsCollection.createIndex({ tenant: 1 });
    await this.outbox.createIndex({ endpointId: 1, position: 1 });
    await this.log.createIndex({ endpointId: 1, seq: -1 });
  }

  async readCheckpoint(name: string): Promise<number> {
    return (await this.checkpoints.findOne({ _id: name }))?.position ?? -1;
  }

  async storeCheckpoint(name: string, expected: number, next: number): Promise<boolean> {
    if (expected === -1) {
      try {
        const result = await this.checkpoints.updateOne({ _id: name, position: -1 }, { $set: { position: next } }, { upsert: true });
        return result.modifiedCount + result.upsertedCount === 1;
      } catch (error) {
        // the upsert met a checkpoint already past START: a duplicate key, so not ours to move
        if ((error as { code?: number }).code === 11000) return false;
        throw error;
      }
    }
    const result = await this.checkpoints.updateOne({ _id: name, position: expected }, { $set: { position: next } });
    return result.modifiedCount === 1;
  }

  async createEndpoint(endpoint: WebhookEndpointRecord): Promise<void> {
    const { id, ...rest } = endpoint;
    await this.endpointsCollection.insertOne({ _id: id, ...rest });
  }

  async endpoint(tenant: string, id: string): Promise<WebhookEndpointRecord | undefined> {
    const document = await this.endpointsCollection.findOne({ _id: id, tenant });
    return document ? endpointOf(document) : undefined;
  }

  async endpoints(tenant: string): Promise<WebhookEndpointRecord[]> {
    return (await this.endpointsCollection.find({ tenant }).sort({ _id: 1 }).toArray()).map(endpointOf);
  }

  async allEndpoints(): Promise<WebhookEndpointRecord[]> {
    return (await this.endpointsCollection.find({}).sort({ _id: 1 }).toArray()).map(endpointOf);
  }

  async updateEndpoint(tenant: string, id: string, change: EndpointChange, at: string): Promise<WebhookEndpointRecord | undefined> {
    const $set: Record<string, unknown> = { updatedAt: at };
    const $unset: Record<string, ''> = {};
    for (const [field, value] of Object.entries(change)) {
      if (value === null) $unset[field] = '';
      else if (value !== undefined) $set[field] = value;
    }
    if (change.state === 'active') {
      $unset.stoppedAt = '';
      $unset.stoppedReason = '';
    }
    const update = Object.keys($unset).length ? { $set, $unset } : { $set };
    const result = await this.endpointsCollection.findOneAndUpdate({ _id: id, tenant }, update, { returnDocument: 'after' });
    return result ? endpointOf(result) : undefined;
  }

  async deleteEndpoint(tenant: string, id: string): Promise<boolean> {
    const removed = (await this.endpointsCollection.deleteOne({ _id: id, tenant })).deletedCount === 1;
    if (removed) {
      await this.outbox.deleteMany({ endpointId: id });
      await this.log.deleteMany({ endpointId: id });
    }
    return removed;
  }

  async rewindEndpoint(tenant: string, id: string, position: number, at: string): Promise<boolean> {
    return (await this.endpointsCollection.updateOne({ _id: id, tenant }, { $set: { checkpoint: position, updatedAt: at } })).matchedCount === 1;
  }

  async enqueue(endpointId: string, deliveries: OutboxDelivery[], expected: number, next: number): Promise<boolean> {
    if (deliveries.length) {
      await this.outbox.bulkWrite(
        deliveries.map((d) => ({
          updateOne: { filter: { _id: `${d.endpointId}:${d.position}` }, update: { $setOnInsert: { ...d } }, upsert: true },
        })),
        { ordered: false },
      );
    }
    const moved = (await this.endpointsCollection.updateOne({ _id: endpointId, checkpoint: expected }, { $set: { checkpoint: next } })).matchedCount === 1;
    // past a checkpoint that did not move they are not matched yet (all lie after `expected`): matching again adds them
    if (!moved && deliveries.length) await this.outbox.deleteMany({ _id: { $in: deliveries.map((d) => `${d.endpointId}:${d.position}`) } });
    return moved;
  }

  async outstanding(endpointId: string, upTo: number, limit: number): Promise<OutboxDelivery[]> {
    const documents = await this.outbox.find({ endpointId, position: { $lte: upTo } }).sort({ position: 1 }).limit(limit).toArray();
    return documents.map(outboxOf);
  }

  async countOutstanding(endpointId: string): Promise<number> {
    return this.outbox.countDocuments({ endpointId });
  }

  async reschedule(endpointId: string, position: number, attempts: number, nextAttemptAt: number, firstAttemptAt: number): Promise<void> {
    await this.outbox.updateOne({ _id: `${endpointId}:${position}` }, { $set: { attempts, nextAttemptAt, firstAttemptAt } });
  }

  async rescheduleAll(endpointId: string, at: number): Promise<void> {
    await this.outbox.updateMany({ endpointId }, { $set: { nextAttemptAt: at } });
  }

  async complete(endpointId: string, position: number): Promise<void> {
    await this.outbox.deleteOne({ _id: `${endpointId}:${position}` });
  }

  async writeBatch(enqueues: EnqueueRequest[], outcomes: SettledAttempt[]): Promise<boolean[]> {
    const results: boolean[] = [];
    for (const { endpointId, deliveries, expected, next } of enqueues) results.push(await this.enqueue(endpointId, deliveries, expected, next));
    await this.settle(outcomes);
    return results;
  }

  async settle(outcomes: SettledAttempt[]): Promise<void> {
    if (!outcomes.length) return;
    await this.outbox.bulkWrite(
      outcomes.map(({ endpointId, position, next }) =>
        next
          ? { updateOne: { filter: { _id: `${endpointId}:${position}` }, update: { $set: next } } }
          : { deleteOne: { filter: { _id: `${endpointId}:${position}` } } },
      ),
      { ordered: false },
    );
    await this.log.insertMany(
      outcomes.map(({ attempt }) => {
        this.sequence = Math.max(this.sequence + 1, Date.now() * 1000);
        return { ...attempt, seq: this.sequence };
      }),
    );
  }

  async logAttempt(attempt: DeliveryAttempt): Promise<void> {
    // wall-clock milliseconds plus a counter: newest-first order without a shared sequence document
    this.sequence = Math.max(this.sequence + 1, Date.now() * 1000);
    await this.log.insertOne({ ...attempt, seq: this.sequence });
  }

  async deliveries(endpointId: string, limit: number): Promise<DeliveryAttempt[]> {
    const documents = await this.log.find({ endpointId }).sort({ seq: -1 }).limit(limit).toArray();
    return documents.map(({ _id: _ignored, seq: _seq, ...attempt }) => attempt);
  }
}
