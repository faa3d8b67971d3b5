import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Reflector } from '@nestjs/core';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, Observable } from 'rxjs';
import type { Principal } from '@app/auth';
import { IdempotencyGuard, IdempotencyKeyReusedError, IdempotentOutcome, isStreamedBody, requestHash, runInContext, StreamedBody } from '@app/engine';
import { LedgerError } from '@app/ledger';
import { RequestValidationError } from './validation';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_KEY_LENGTH = 255;

type RequestWithPrincipal = FastifyRequest & { principal?: Principal };

/**
 * Puts the caller into the command context (issuer, actor, correlation id -> event metadata) and,
 * for a mutating request with an Idempotency-Key, runs it at most once per tenant and key.
 * A handler may answer with a StreamedBody: it is streamed as the response (and, keyed, stored
 * in parts and replayed from them), never held whole.
 */
@Injectable()
export class CommandContextInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyGuard,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const principal = request.principal;
    const caller = {
      issuer: principal?.role === 'customer' ? ('customer' as const) : ('api' as const),
      actor: principal ? (principal.role === 'customer' ? (principal.customerId ?? principal.clientId) : principal.clientId) : 'anonymous',
      correlationId: headerValue(request, 'x-correlation-id') ?? String(request.id),
    };
    const key = headerValue(request, 'idempotency-key');
    if (!key || !MUTATING.has(request.method) || !principal) {
      return from(runInContext(caller, () => lastValueFrom(next.handle(), { defaultValue: undefined })).then((body) => (isStreamedBody(body) ? streamOf(body) : body)));
    }
    if (key.length > MAX_KEY_LENGTH) {
      throw new RequestValidationError([{ field: 'Idempotency-Key', message: `must be at most ${MAX_KEY_LENGTH} characters` }]);
    }
    const status = this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? (request.method === 'POST' ? 201 : 200);
    const hash = requestHash([request.method, request.url, request.body ?? null]);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    let streamed: StreamedBody | undefined;
    return from(
      this.idempotency
        .run(principal.tenant, key, hash, async (scope, takeover) => {
          try {
            const body = await runInContext({ ...caller, idempotencyKey: key, idempotencyScope: scope, idempotencyTakeover: takeover }, () =>
              lastValueFrom(next.handle(), { defaultValue: undefined }),
            );
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
        })
        .then(async ({ outcome, replayed }) => {
          if (streamed && !replayed) return streamOf(streamed);
          // a replay answers without the handler: an unread body (a multipart upload) is read
          // to its end first, or the client would see its upload cut off instead of the answer
          if (replayed) await drained(request);
          return this.answer(outcome, replayed, reply);
        })
        .catch(async (error: unknown) => {
          await streamed?.release();
          if (error instanceof IdempotencyKeyReusedError) await drained(request);
          throw error;
        }),
    );
  }

  private answer(outcome: IdempotentOutcome, replayed: boolean, reply: FastifyReply): unknown {
    if (replayed) void reply.header('Idempotent-Replayed', 'true');
    const refusal = (outcome.body as { ledgerError?: { code: LedgerError['code']; message: string; details: Record<string, unknown> | null } } | null)?.ledgerError;
    if (refusal && outcome.status >= 400) throw new LedgerError(refusal.code, refusal.message, refusal.details ?? undefined);
    if (outcome.status >= 400) throw new HttpException(outcome.body as object, outcome.status);
    if (outcome.parts) return new StreamableFile(Readable.from(outcome.parts, { objectMode: false }), { type: outcome.contentType });
    return outcome.body ?? undefined;
  }
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
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
