import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, Observable } from 'rxjs';
import type { Principal } from '@app/auth';
import { IdempotencyGuard, IdempotentOutcome, requestHash, runInContext } from '@app/engine';
import { LedgerError } from '@app/ledger';
import { RequestValidationError } from './validation';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_KEY_LENGTH = 255;

type RequestWithPrincipal = FastifyRequest & { principal?: Principal };

/**
 * Puts the caller into the command context (issuer, actor, correlation id -> event metadata) and,
 * for a mutating request with an Idempotency-Key, runs it at most once per tenant and key.
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
      return from(runInContext(caller, () => lastValueFrom(next.handle(), { defaultValue: undefined })));
    }
    if (key.length > MAX_KEY_LENGTH) {
      throw new RequestValidationError([{ field: 'Idempotency-Key', message: `must be at most ${MAX_KEY_LENGTH} characters` }]);
    }
    const status = this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? (request.method === 'POST' ? 201 : 200);
    const hash = requestHash([request.method, request.url, request.body ?? null]);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(
      this.idempotency
        .run(principal.tenant, key, hash, async (scope, takeover) => {
          try {
            const body = await runInContext({ ...caller, idempotencyKey: key, idempotencyScope: scope, idempotencyTakeover: takeover }, () =>
              lastValueFrom(next.handle(), { defaultValue: undefined }),
            );
            return { status, body: body ?? null };
          } catch (error) {
            // a business refusal is the request's answer and is replayed; anything else frees the key
            if (error instanceof LedgerError) return { status: error.httpStatus, body: { ledgerError: { code: error.code, message: error.message, details: error.details ?? null } } };
            throw error;
          }
        })
        .then(({ outcome, replayed }) => this.answer(outcome, replayed, reply)),
    );
  }

  private answer(outcome: IdempotentOutcome, replayed: boolean, reply: FastifyReply): unknown {
    if (replayed) void reply.header('Idempotent-Replayed', 'true');
    const refusal = (outcome.body as { ledgerError?: { code: LedgerError['code']; message: string; details: Record<string, unknown> | null } } | null)?.ledgerError;
    if (refusal && outcome.status >= 400) throw new LedgerError(refusal.code, refusal.message, refusal.details ?? undefined);
    if (outcome.status >= 400) throw new HttpException(outcome.body as object, outcome.status);
    return outcome.body ?? undefined;
  }
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
