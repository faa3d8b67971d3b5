import type { SqliteDatabase } from '@app/event-store';
import type { DeliveryAttempt, EndpointChange, EnqueueRequest, OutboxDelivery, SettledAttempt, SubscriberStore, WebhookEndpointRecord } from './subscriber-store.port';

interface OutboxRow {
  endpoint_id: string;
  position: number;
  stream_id: string;
  webhook_id: string;
  event_type: string;
  body: string;
  attempts: number;
  next_attempt_at: number;
  first_attempt_at: number | null;
}

function delivery(row: OutboxRow): OutboxDelivery {
  return {
    endpointId: row.endpoint_id,
    position: row.position,
    streamId: row.stream_id,
    webhookId: row.webhook_id,
    eventType: row.event_type,
    body: row.body,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    ...(row.first_attempt_at !== null && { firstAttemptAt: row.first_attempt_at }),
  };
}

/** Subscriber state in the embedded profile's SQLite file; an outbox change and its checkpoint commit together. */
export class SqliteSubscriberStore implements SubscriberStore {
  readonly kind = 'sqlite' as const;

  constructor(private readonly db: SqliteDatabase) {}

  async prepare(): Promise<void> {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS consumer_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS webhook_endpoints (
        id TEXT PRIMARY KEY, tenant TEXT NOT NULL, endpoint TEXT NOT NULL, checkpoint INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS webhook_endpoints_tenant ON webhook_endpoints (tenant);
      CREATE TABLE IF NOT EXISTS webhook_outbox (
        endpoint_id TEXT NOT NULL, position INTEGER NOT NULL, stream_id TEXT NOT NULL, webhook_id TEXT NOT NULL,
        event_type TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,
        first_attempt_at INTEGER, PRIMARY KEY (endpoint_id, position)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, endpoint_id TEXT NOT NULL, attempt TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);
    `);
  }

  async readCheckpoint(name: string): Promise<number> {
    const row = this.db.prepare('SELECT position FROM consumer_checkpoints WHERE name = ?').get(name) as { position: number } | undefined;
    return row?.position ?? -1;
  }

  async storeCheckpoint(name: string, expected: number, next: number): Promise<boolean> {
    const changed =
      expected === -1
        ? this.db
            .prepare(
              'INSERT INTO consumer_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position WHERE position = -1',
            )
            .run(name, next).changes
        : this.db.prepare('UPDATE consumer_checkpoints SET position = ? WHERE name = ? AND position = ?').run(next, name, expected).changes;
    return changed === 1;
  }

  async createEndpoint(endpoint: WebhookEndpointRecord): Promise<void> {
    const { checkpoint, ...rest } = endpoint;
    this.db.prepare('INSERT INTO webhook_endpoints (id, tenant, endpoint, checkpoint) VALUES (?, ?, ?, ?)').run(endpoint.id, endpoint.tenant, JSON.stringify(rest), checkpoint);
  }

  async endpoint(tenant: string, id: string): Promise<WebhookEndpointRecord | undefined> {
    const row = this.db.prepare('SELECT endpoint, checkpoint FROM webhook_endpoints WHERE id = ? AND tenant = ?').get(id, tenant) as
      | { endpoint: string; checkpoint: number }
      | undefined;
    return row && { ...JSON.parse(row.endpoint), checkpoint: row.checkpoint };
  }

  async endpoints(tenant: string): Promise<WebhookEndpointRecord[]> {
    const rows = this.db.prepare('SELECT endpoint, checkpoint FROM webhook_endpoints WHERE tenant = ? ORDER BY id').all(tenant) as Array<{ endpoint: string; checkpoint: number }>;
    return rows.map((row) => ({ ...JSON.parse(row.endpoint), checkpoint: row.checkpoint }));
  }

  async allEndpoints(): Promise<WebhookEndpointRecord[]> {
    const rows = this.db.prepare('SELECT endpoint, checkpoint FROM webhook_endpoints ORDER BY id').all() as Array<{ endpoint: string; checkpoint: number }>;
    return rows.map((row) => ({ ...JSON.parse(row.endpoint), checkpoint: row.checkpoint }));
  }

  async updateEndpoint(tenant: string, id: string, change: EndpointChange, at: string): Promise<WebhookEndpointRecord | undefined> {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT endpoint, checkpoint FROM webhook_endpoints WHERE id = ? AND tenant = ?').get(id, tenant) as
        | { endpoint: string; checkpoint: number }
        | undefined;
      if (!row) return undefined;
      const updated = applyChange({ ...JSON.parse(row.endpoint), checkpoint: row.checkpoint }, change, at);
      const { checkpoint: _checkpoint, ...rest } = updated;
      this.db.prepare('UPDATE webhook_endpoints SET endpoint = ? WHERE id = ?').run(JSON.stringify(rest), id);
      return updated;
    })();
  }

  async deleteEndpoint(tenant: string, id: string): Promise<boolean> {
    return this.db.transaction(() => {
      const removed = this.db.prepare('DELETE FROM webhook_endpoints WHERE id = ? AND tenant = ?').run(id, tenant).changes === 1;
      if (removed) {
        this.db.prepare('DELETE FROM webhook_outbox WHERE endpoint_id = ?').run(id);
        this.db.prepare('DELETE FROM webhook_deliveries WHERE endpoint_id = ?').run(id);
      }
      return removed;
    })();
  }

  async rewindEndpoint(tenant: string, id: string, position: number): Promise<boolean> {
    return this.db.prepare('UPDATE webhook_endpoints SET checkpoint = ? WHERE id = ? AND tenant = ?').run(position, id, tenant).changes === 1;
  }

  async enqueue(endpointId: string, deliveries: OutboxDelivery[], expected: number, next: number): Promise<boolean> {
    return this.db.transaction(() => this.enqueueNow({ endpointId, deliveries, expected, next }))();
  }

  async writeBatch(enqueues: EnqueueRequest[], outcomes: SettledAttempt[]): Promise<boolean[]> {
    return this.db.transaction(() => {
      const results = enqueues.map((request) => this.enqueueNow(request));
      this.settleNow(outcomes);
      return results;
    })();
  }

  private enqueueNow({ endpointId, deliveries, expected, next }: EnqueueRequest): boolean {
    const moved = this.db.prepare('UPDATE webhook_endpoints SET checkpoint = ? WHERE id = ? AND checkpoint = ?').run(next, endpointId, expected).changes === 1;
    if (!moved) return false;
    const insert = this.db.prepare(
      `INSERT INTO webhook_outbox (endpoint_id, position, stream_id, webhook_id, event_type, body, attempts, next_attempt_at, first_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    for (const d of deliveries) {
      insert.run(d.endpointId, d.position, d.streamId, d.webhookId, d.eventType, d.body, d.attempts, d.nextAttemptAt, d.firstAttemptAt ?? null);
    }
    return true;
  }

  async outstanding(endpointId: string, upTo: number, limit: number): Promise<OutboxDelivery[]> {
    const rows = this.db
      .prepare('SELECT * FROM webhook_outbox WHERE endpoint_id = ? AND position <= ? ORDER BY position LIMIT ?')
      .all(endpointId, upTo, limit) as OutboxRow[];
    return rows.map(delivery);
  }

  async countOutstanding(endpointId: string): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM webhook_outbox WHERE endpoint_id = ?').get(endpointId) as { n: number }).n;
  }

  async reschedule(endpointId: string, position: number, attempts: number, nextAttemptAt: number, firstAttemptAt: number): Promise<void> {
    this.db
      .prepare('UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ?, first_attempt_at = ? WHERE endpoint_id = ? AND position = ?')
      .run(attempts, nextAttemptAt, firstAttemptAt, endpointId, position);
  }

  async rescheduleAll(endpointId: string, at: number): Promise<void> {
    this.db.prepare('UPDATE webhook_outbox SET next_attempt_at = ? WHERE endpoint_id = ?').run(at, endpointId);
  }

  async complete(endpointId: string, position: number): Promise<void> {
    this.db.prepare('DELETE FROM webhook_outbox WHERE endpoint_id = ? AND position = ?').run(endpointId, position);
  }

  async settle(outcomes: SettledAttempt[]): Promise<void> {
    this.db.transaction(() => this.settleNow(outcomes))();
  }

  private settleNow(outcomes: SettledAttempt[]): void {
    if (!outcomes.length) return;
    const complete = this.db.prepare('DELETE FROM webhook_outbox WHERE endpoint_id = ? AND position = ?');
    const reschedule = this.db.prepare('UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ?, first_attempt_at = ? WHERE endpoint_id = ? AND position = ?');
    const log = this.db.prepare('INSERT INTO webhook_deliveries (endpoint_id, attempt) VALUES (?, ?)');
    for (const { endpointId, position, next, attempt } of outcomes) {
      if (next) reschedule.run(next.attempts, next.nextAttemptAt, next.firstAttemptAt, endpointId, position);
      else complete.run(endpointId, position);
      log.run(endpointId, JSON.stringify(attempt));
    }
  }

  async logAttempt(attempt: DeliveryAttempt): Promise<void> {
    this.db.prepare('INSERT INTO webhook_deliveries (endpoint_id, attempt) VALUES (?, ?)').run(attempt.endpointId, JSON.stringify(attempt));
  }

  async deliveries(endpointId: string, limit: number): Promise<DeliveryAttempt[]> {
    const rows = this.db.prepare('SELECT attempt FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY seq DESC LIMIT ?').all(endpointId, limit) as Array<{ attempt: string }>;
    return rows.map((row) => JSON.parse(row.attempt));
  }
}

/** An endpoint with a change laid over it; `failingSince: null` clears it. Shared by both adapters. */
export function applyChange(endpoint: WebhookEndpointRecord, change: EndpointChange, at: string): WebhookEndpointRecord {
  const { failingSince, ...rest } = change;
  const updated: WebhookEndpointRecord = { ...endpoint, ...stripUndefined(rest), updatedAt: at };
  if (failingSince === null) delete updated.failingSince;
  else if (failingSince !== undefined) updated.failingSince = failingSince;
  if (rest.state === 'active') {
    delete updated.stoppedAt;
    delete updated.stoppedReason;
  }
  return updated;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
