import { HttpException, RequestMethod, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '@app/auth';
import {
  Caller,
  ContextSource,
  currentContextSource,
  IdempotencyGuard,
  IdempotencyKeyReusedError,
  IdempotentOutcome,
  isStreamedBody,
  requestHash,
  runInContext,
  runWithContextSource,
  StreamedBody,
} from '@app/engine';
import { LedgerError } from '@app/ledger';
import { RequestValidationError } from './validation';

const MAX_KEY_LENGTH = 255;
const MUTATING = new Set<RequestMethod>([RequestMethod.POST, RequestMethod.PUT, RequestMethod.PATCH, RequestMethod.DELETE]);

type RequestWithPrincipal = FastifyRequest & { principal?: Principal };

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A request's idempotency key: as the client sent it, and as it is stored (sources never share keys). */
export interface IdempotencyKey {
  /** how the client names it, for messages: `Idempotency-Key`, `id`, `ChangeKey` */
  name: string;
  value: string;
  stored: string;
}

/** Where a route's idempotency key comes from. */
export type IdempotencyKeySource = (request: FastifyRequest) => IdempotencyKey | undefined;

/** The `Idempotency-Key` header: every route's source unless its controller names another. */
export const keyFromHeader: IdempotencyKeySource = (request) => {
  const value = headerValue(request, 'idempotency-key');
  return value ? { name: 'Idempotency-Key', value, stored: value } : undefined;
};

/**
 * A field of the JSON body, e.g. Emporix's `id` or the External API's `ChangeKey`, stored as
 * `<field>:<value>` so it never meets a header key; without the field, the header still counts.
 */
export function keyFromBody(field: string): IdempotencyKeySource {
  return (request) => {
    const raw = (request.body as Record<string, unknown> | undefined)?.[field];
    const value = typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : '';
    return value ? { name: field, value, stored: `${field}:${value}` } : keyFromHeader(request);
  };
}

/** The first answer to a keyed request, as a replay hands it to a dialect that writes repeats its own way. */
export interface FirstAnswer {
  status: number;
  body: unknown;
  /** the business refusal the first request got, when it got one */
  refusal?: { code: string; message: string; details: Record<string, unknown> | null };
}

export interface CommandIdempotency {
  key?: IdempotencyKeySource;
  /**
   * The key alone names the change, whatever the body: a repeat with another body gets the first
   * answer too instead of a 409 (the External API's ChangeKey).
   */
  keyOnly?: boolean;
  /** writes the answer to a repeat; by default the first answer again, with Idempotent-Replayed: true */
  replay?: (first: FirstAnswer, reply: FastifyReply) => unknown;
}

/**
 * One HTTP request as the source of its command context: the caller (issuer, actor, correlation id ->
 * event metadata) is read from the principal the auth guard left on the request, when a command asks.
 */
export class HttpCommandContext implements ContextSource {
  private known?: Caller;

  constructor(
    readonly request: RequestWithPrincipal,
    readonly reply: FastifyReply,
    private readonly idempotency: IdempotencyGuard,
  ) {}

  caller(): Caller {
    if (this.known) return this.known;
    const principal = this.request.principal;
    const caller: Caller = {
      issuer: principal?.role === 'customer' ? 'customer' : 'api',
      actor: principal ? (principal.role === 'customer' ? (principal.customerId ?? principal.clientId) : principal.clientId) : 'anonymous',
      correlationId: headerValue(this.request, 'x-correlation-id') ?? String(this.request.id),
    };
    // authentication has run once there is a principal; before that the caller may still change
    if (principal) this.known = caller;
    return caller;
  }

  /** set while a keyed multipart route runs: its key is claimed by uploadedCommand, once the upload is read */
  private pendingUpload?: { key: string; principal: Principal; status: number };

  /**
   * Runs a mutating route's handler; with an Idempotency-Key, at most once per tenant and key: a repeat
   * gets the first answer (Idempotent-Replayed: true), a different request under the same key a 409.
   * A handler may answer with a StreamedBody: it is streamed as the response (and, keyed, stored in
   * parts and replayed from them), never held whole. A multipart request's body is its upload, which
   * only the handler reads: its route claims the key through `uploadedCommand`.
   */
  async command(handler: () => Promise<unknown>, status: number, options: CommandIdempotency = {}): Promise<unknown> {
    const key = (options.key ?? keyFromHeader)(this.request);
    const principal = this.request.principal;
    if (!key || !principal) {
      const body = await handler();
      return isStreamedBody(body) ? streamOf(body) : body;
    }
    if (key.value.length > MAX_KEY_LENGTH) {
      throw new RequestValidationError([{ field: key.name, message: `must be at most ${MAX_KEY_LENGTH} characters` }]);
    }
    if (this.request.isMultipart?.()) {
      this.pendingUpload = { key: key.stored, principal, status };
      try {
        return await handler();
      } finally {
        this.pendingUpload = undefined;
      }
    }
    const hash = requestHash(options.keyOnly ? [this.request.method, this.request.routeOptions.url] : [this.request.method, this.request.url, this.request.body ?? null]);
    return this.keyed(key.stored, principal, status, hash, handler, options.replay);
  }

  /** The keyed part of a command whose upload has been read: see `uploadedCommand`. */
  claimUpload(digest: string, run: () => Promise<unknown>): Promise<unknown> {
    const pending = this.pendingUpload;
    // not keyed: `command` answers with what the handler returns
    if (!pending) return run();
    this.pendingUpload = undefined;
    return this.keyed(pending.key, pending.principal, pending.status, requestHash([this.request.method, this.request.url, { upload: digest }]), run);
  }

  private async keyed(
    key: string,
    principal: Principal,
    status: number,
    hash: string,
    handler: () => Promise<unknown>,
    replay?: CommandIdempotency['replay'],
  ): Promise<unknown> {
    const caller = this.caller();
    let streamed: StreamedBody | undefined;
    try {
      const { outcome, replayed } = await this.idempotency.run(principal.tenant, key, hash, async (scope, takeover) => {
        try {
          const body = await runInContext({ ...caller, idempotencyKey: key, idempotencyScope: scope, idempotencyTakeover: takeover }, handler);
          if (isStreamedBody(body)) {
            streamed = body;
            return { status, body: null, parts: textOf(body.chunks()), contentType: body.contentType };
          }
          return { status, body: body ?? null };
        } catch (error) {
          // a business refusal is the request's answer and is replayed; anything else frees the key
          if (error instanceof LedgerError) return { status: error.httpStatus, body: { ledgerError: { code: error.code, message: error.message, details: error.details ?? null } } };
          throw error;
        }
      });
      if (streamed && !replayed) return streamOf(streamed);
      // a replay answers without the handler: an unread body (a multipart upload) is read to its end
      // first, or the client would see its upload cut off instead of the answer
      if (replayed) await drained(this.request);
      if (replayed && replay) return replay(firstAnswer(outcome), this.reply);
      return this.answer(outcome, replayed);
    } catch (error) {
      await streamed?.release();
      if (error instanceof IdempotencyKeyReusedError) await drained(this.request);
      throw error;
    }
  }

  private answer(outcome: IdempotentOutcome, replayed: boolean): unknown {
    if (replayed) void this.reply.header('Idempotent-Replayed', 'true');
    const refusal = (outcome.body as StoredRefusal | null)?.ledgerError;
    if (refusal && outcome.status >= 400) throw new LedgerError(refusal.code, refusal.message, refusal.details ?? undefined);
    if (outcome.status >= 400) throw new HttpException(outcome.body as object, outcome.status);
    if (outcome.parts) return new StreamableFile(Readable.from(outcome.parts, { objectMode: false }), { type: outcome.contentType });
    return outcome.body ?? undefined;
  }
}

type StoredRefusal = { ledgerError?: { code: LedgerError['code']; message: string; details: Record<string, unknown> | null } };

function firstAnswer(outcome: IdempotentOutcome): FirstAnswer {
  const refusal = (outcome.body as StoredRefusal | null)?.ledgerError;
  return refusal ? { status: outcome.status, body: null, refusal } : { status: outcome.status, body: outcome.body ?? null };
}

/** Waits until the request's body has been read to its end, discarding what nobody read. */
async function drained(request: FastifyRequest): Promise<void> {
  const raw = request.raw;
  if (raw.readableEnded || raw.destroyed) return;
  raw.resume();
  await new Promise<void>((resolve) => {
    raw.once('end', resolve);
    raw.once('close', resolve);
    raw.once('error', () => resolve());
  });
}

/** UTF-8 chunks as text, a character never split between two parts. */
async function* textOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) yield decoder.write(chunk);
  const rest = decoder.end();
  if (rest) yield rest;
}

/** The response for a streamed body: its chunks, then `release()` however the stream ends (also unread). */
function streamOf(body: StreamedBody): StreamableFile {
  const stream = Readable.from(body.chunks(), { objectMode: false });
  stream.once('close', () => void body.release());
  return new StreamableFile(stream, { type: body.contentType });
}

/**
 * For a mutating multipart route, once its handler has read the upload: runs `run` (the command) as
 * `HttpCommandContext.command` runs a handler, with the upload's digest (e.g. sha256 of its bytes) in
 * place of the request body, so an Idempotency-Key is claimed for this very file: the same key with
 * the same file replays the first answer, with another file it is a 409. Such a route must call it:
 * without, its key would not be claimed.
 */
export function uploadedCommand(digest: string, run: () => Promise<unknown>): Promise<unknown> {
  const source = currentContextSource();
  if (source instanceof HttpCommandContext) return source.claimUpload(digest, run);
  return run();
}

/**
 * Every request runs in its own command context from the moment it arrives. A Fastify hook rather than
 * a Nest interceptor: on Node 20 a global interceptor cost about 0.1 ms of CPU per request (rxjs and two
 * AsyncResource.bind per call), a fifth of a whole points command.
 */
export function installCommandContext(fastify: FastifyInstance, idempotency: IdempotencyGuard): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    runWithContextSource(new HttpCommandContext(request, reply, idempotency), done);
  });
}

/**
 * Class decorator for controllers with commands: each POST, PUT, PATCH and DELETE route runs through
 * HttpCommandContext.command, so a key (the Idempotency-Key header, or what `options.key` names) makes
 * it run at most once. Route metadata (path, guards, status code, OpenAPI) moves over to the wrapper
 * unchanged.
 */
export function IdempotentCommands(options: CommandIdempotency = {}): ClassDecorator {
  return (target) => {
    const prototype = target.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const original = prototype[name];
      if (name === 'constructor' || typeof original !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, original) as RequestMethod | undefined;
      if (method === undefined || !MUTATING.has(method)) continue;
      const status = (Reflect.getMetadata(HTTP_CODE_METADATA, original) as number | undefined) ?? (method === RequestMethod.POST ? 201 : 200);
      const handler = original as (...args: unknown[]) => Promise<unknown>;
      const wrapped = function (this: unknown, ...args: unknown[]): Promise<unknown> {
        const source = currentContextSource();
        if (!(source instanceof HttpCommandContext)) return handler.apply(this, args);
        return source.command(() => handler.apply(this, args), status, options);
      };
      for (const key of Reflect.getOwnMetadataKeys(original)) Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapped);
      Object.defineProperty(wrapped, 'name', { value: handler.name });
      prototype[name] = wrapped;
    }
  };
}
