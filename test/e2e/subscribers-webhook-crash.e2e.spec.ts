import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { clientToken, EngineProcess, spawnEngine } from '../support/engine-process';
import { outOfOrder, WebhookReceiver } from '../support/webhook-receiver';

jest.setTimeout(300_000);

interface Polled {
  id: string;
  type: string;
  customerId?: string;
}

describe('webhook deliveries survive kill -9 of the engine', () => {
  let dataDir: string;
  let engine: EngineProcess | undefined;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'loyalty-webhook-crash-'));
    await receiver.start();
  });
  afterAll(async () => {
    await engine?.kill('SIGKILL');
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('killed three times mid-delivery: every event arrives at least once, duplicates keep their webhook-id, no account out of order', async () => {
    const env = { LOYALTY_WEBHOOK_TICK_MS: '20' };
    engine = await spawnEngine(dataDir, env);
    let token = await clientToken(engine.url);
    const created = await fetch(`${engine.url}/api/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ url: receiver.url, eventTypes: ['account.opened', 'points.added', 'points.spent'] }),
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };
    // a receiver that takes a moment keeps deliveries in flight when the kill comes
    receiver.answer = async () => {
      await new Promise((r) => setTimeout(r, Math.random() * 15));
      return { status: 200 };
    };

    const customers = Array.from({ length: 12 }, () => randomUUID());
    for (let round = 0; round < 3; round++) {
      let stop = false;
      const url = engine.url;
      const writer = async (worker: number) => {
        for (let i = 0; !stop; i++) {
          try {
            await fetch(`${url}/api/DEFAULT/points/transfer/add`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify({ transfer: { customer: customers[(worker * 5 + i) % customers.length], points: 1 + (i % 9) } }),
            });
          } catch {
            return; // the process is gone
          }
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      const arrivedBefore = receiver.received.length;
      await receiver.waitUntil((r) => r.length >= arrivedBefore + 40 + Math.floor(Math.random() * 60), 60_000, 'deliveries before the kill');
      await engine.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      engine = await spawnEngine(dataDir, env);
      token = await clientToken(engine.url);
    }

    // everything stored, as the polling feed sees it, must reach the receiver
    const stored: Polled[] = [];
    let after: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ types: 'account.opened,points.added,points.spent', limit: '500', ...(after ? { after } : {}) });
      const page = (await (await fetch(`${engine.url}/api/events?${query}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: Polled[]; cursor: string; more: boolean };
      stored.push(...page.data);
      after = page.cursor;
      if (!page.more) break;
    }
    expect(stored.length).toBeGreaterThan(120);
    const wanted = new Set(stored.map((event) => event.id));
    await receiver.waitUntil((r) => [...wanted].every((id) => r.some((x) => x.event.id === id)), 60_000, 'every stored event at the receiver');

    const verifier = new Webhook(secret);
    for (const arrival of receiver.received) {
      // a duplicate carries the id of the event it repeats, and verifies like the first
      expect(arrival.headers['webhook-id']).toBe(`msg_${arrival.event.id}`);
      expect(() => verifier.verify(arrival.body, arrival.headers as Record<string, string>)).not.toThrow();
    }
    expect(outOfOrder(receiver.received)).toEqual([]);
    const duplicates = receiver.received.length - new Set(receiver.received.map((r) => r.headers['webhook-id'])).size;
    // at most what was in flight at each kill (32 per endpoint) is sent again
    expect(duplicates).toBeLessThanOrEqual(3 * 32);
  });
});
