import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** the parsed body */
  event: { id: string; type: string; customerId?: string; storeCode?: string; accountVersion?: number; position?: number; data: Record<string, unknown> };
  receivedAt: number;
}

/** What the receiver answers to one request: a status and optional headers. */
export type Answer = { status: number; headers?: Record<string, string>; body?: string };

/**
 * A webhook receiver on a loopback port the test owns: records every request (also those it
 * refuses) and answers with what `answer` says (200 by default). `stop()` closes it, so the port
 * refuses connections; `start()` opens it again on the same port.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (request: ReceivedWebhook) => Answer | Promise<Answer> = () => ({ status: 200 });
  private server?: Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', async () => {
        let event: ReceivedWebhook['event'];
        try {
          event = JSON.parse(body);
        } catch {
          event = { id: '', type: 'unparseable', data: {} };
        }
        const received: ReceivedWebhook = { headers: request.headers, body, event, receivedAt: Date.now() };
        this.received.push(received);
        const answer = await this.answer(received);
        response.writeHead(answer.status, answer.headers ?? {});
        response.end(answer.body ?? 'ok');
      });
    });
    // keep-alive sockets would outlive stop(): a stopped receiver must refuse every request
    server.keepAliveTimeout = 1;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** waits until `predicate` holds over what arrived (real time; the dispatcher runs on its own timer) */
  async waitUntil(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs = 20_000, what = 'webhooks'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; got ${this.received.length}: ${this.received.map((r) => r.event.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** the first arrival of every webhook-id, in arrival order */
  firstArrivals(): ReceivedWebhook[] {
    const seen = new Set<string>();
    return this.received.filter((r) => {
      const id = String(r.headers['webhook-id']);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  }
}

/** Per account (store + customer): the account versions in the order they arrived, duplicates included. */
export function versionsByAccount(received: ReceivedWebhook[]): Map<string, number[]> {
  const byAccount = new Map<string, number[]>();
  for (const { event } of received) {
    if (event.accountVersion === undefined || !event.customerId || !event.type.startsWith('points.') && !event.type.startsWith('account.')) continue;
    const key = `${event.storeCode}:${event.customerId}`;
    byAccount.set(key, [...(byAccount.get(key) ?? []), event.accountVersion]);
  }
  return byAccount;
}

/** No account's events arrived out of order: every arrival is the latest seen again (a duplicate) or a later one. */
export function outOfOrder(received: ReceivedWebhook[]): string[] {
  const problems: string[] = [];
  for (const [account, versions] of versionsByAccount(received)) {
    for (let i = 1; i < versions.length; i++) {
      if (versions[i] < versions[i - 1]) problems.push(`${account}: ${versions.join(',')}`);
    }
  }
  return problems;
}
