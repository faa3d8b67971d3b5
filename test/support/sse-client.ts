import { ClientRequest, IncomingMessage, request } from 'node:http';

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/** A minimal text/event-stream reader over node's http client, so a test can cut the connection at any byte. */
export interface SseConnection {
  response: IncomingMessage;
  messages: SseMessage[];
  comments: string[];
  /** resolves when `count` messages in all arrived (or the stream ended) */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  closed: Promise<void>;
  close(): void;
  /** stops reading from the socket, as a stuck client would */
  pause(): void;
  resume(): void;
}

export function openSse(url: string, headers: Record<string, string>): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(url, { headers: { accept: 'text/event-stream', ...headers } });
    req.on('error', reject);
    req.on('response', (response) => {
      if (response.statusCode !== 200) {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => reject(new Error(`SSE ${response.statusCode}: ${body}`)));
        return;
      }
      const messages: SseMessage[] = [];
      const comments: string[] = [];
      const waiters: Array<{ count: number; resolve: () => void }> = [];
      let buffer = '';
      let ended = false;
      const settle = () => {
        for (const waiter of [...waiters]) {
          if (ended || messages.length >= waiter.count) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: SseMessage = { data: '' };
          let isMessage = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) message.id = line.slice(4);
            else if (line.startsWith('event: ')) message.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              message.data += line.slice(6);
              isMessage = true;
            }
          }
          if (isMessage) messages.push(message);
        }
        settle();
      });
      const closed = new Promise<void>((done) => {
        const finish = () => {
          ended = true;
          settle();
          done();
        };
        response.on('close', finish);
        response.on('error', finish);
      });
      resolve({
        response,
        messages,
        comments,
        closed,
        waitFor: (count, timeoutMs = 20_000) =>
          new Promise<void>((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`waited for ${count} SSE messages, got ${messages.length}`)), timeoutMs);
            waiters.push({
              count,
              resolve: () => {
                clearTimeout(timer);
                done();
              },
            });
            settle();
          }),
        close: () => {
          req.destroy();
          response.destroy();
        },
        pause: () => response.pause(),
        resume: () => response.resume(),
      });
    });
    req.end();
  });
}
