import { HttpException } from '@nestjs/common';
import { IdempotencyKeyReusedError, IdempotentRequestInFlightError, SubscriberInputError, WebhookEndpointNotFoundError } from '@app/engine';
import { InvalidPointsError, LedgerError } from '@app/ledger';
import { EventIdConflictError, WrongExpectedRevisionError } from '@app/event-store';
import { ProjectionLagError } from '@app/read-models';
import { FieldError, RequestValidationError } from './validation';

/**
 * Any refusal, as every dialect sees it before writing it in its own format: an HTTP status hint, a
 * stable code (the ledger's codes, or one of the kit's below), a message, and per-field messages for
 * bad input. A dialect's error writer picks the status and body it documents.
 */
export interface Problem {
  status: number;
  code: ProblemCode;
  message: string;
  fields?: FieldError[];
  /** machine-readable context, e.g. a ledger refusal's available and requested points */
  details?: Readonly<Record<string, unknown>>;
  /** seconds a client should wait before trying again (written as `Retry-After`) */
  retryAfterSeconds?: number;
}

export type ProblemCode =
  | LedgerError['code']
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'store_not_found'
  | 'method_not_allowed'
  | 'idempotency_key_reused'
  | 'concurrent_update'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal'
  | (string & {});

const CODE_BY_STATUS: Record<number, ProblemCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'concurrent_update',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

function codeFor(status: number): ProblemCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'validation_failed');
}

/** How long a client waits before writing again after the store ran out of space: an operator has to free some. */
export const STORAGE_FULL_RETRY_AFTER_SECONDS = 30;

/** SQLite's refusal to grow the database (disk full, or max_page_count reached): nothing of the write was applied. */
function isStorageFull(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 'SQLITE_FULL';
}

export function problemOf(error: unknown): Problem {
  if (error instanceof ProjectionLagError) {
    return { status: 503, code: 'read_models_behind', message: 'the views are behind the ledger (the projector is catching up); retry shortly', retryAfterSeconds: 5 };
  }
  if (isStorageFull(error)) {
    return { status: 503, code: 'unavailable', message: 'the event store is out of space: nothing was written; retry later', retryAfterSeconds: STORAGE_FULL_RETRY_AFTER_SECONDS };
  }
  if (error instanceof RequestValidationError) {
    return { status: 400, code: 'validation_failed', message: error.message, fields: error.fields };
  }
  if (error instanceof InvalidPointsError) {
    return { status: 400, code: 'validation_failed', message: error.message, fields: [{ field: 'points', message: error.message }] };
  }
  if (error instanceof LedgerError) {
    // a refusal about one request field (a taken e-mail, a malformed id) names it as bad input does
    const field = typeof error.details?.field === 'string' ? error.details.field : undefined;
    return {
      status: error.httpStatus,
      code: error.code,
      message: error.message,
      ...(field ? { fields: [{ field, message: error.message, path: [field] }] } : {}),
      ...(error.details ? { details: error.details } : {}),
    };
  }
  if (error instanceof SubscriberInputError) {
    return { status: 400, code: 'validation_failed', message: error.message, fields: [{ field: error.field, message: error.message, path: [error.field] }] };
  }
  if (error instanceof WebhookEndpointNotFoundError) return { status: 404, code: 'webhook_endpoint_not_found', message: error.message };
  if (error instanceof IdempotencyKeyReusedError) return { status: 409, code: 'idempotency_key_reused', message: error.message };
  if (error instanceof IdempotentRequestInFlightError) return { status: 409, code: 'idempotency_in_flight', message: error.message, retryAfterSeconds: 5 };
  if (error instanceof WrongExpectedRevisionError || error instanceof EventIdConflictError) {
    return { status: 409, code: 'concurrent_update', message: 'the account changed concurrently too often; retry the request' };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const body = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
    const message = Array.isArray(body.message) ? body.message.join('; ') : String(body.message ?? body.error_description ?? response ?? error.message);
    const fields = Array.isArray(body.errors) ? (body.errors as FieldError[]) : undefined;
    return { status, code: typeof body.code === 'string' ? body.code : codeFor(status), message, ...(fields ? { fields } : {}) };
  }
  const fastifyStatus = (error as { statusCode?: number })?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    // body-parser refusals from Fastify (malformed JSON, too large, unsupported type)
    return { status: fastifyStatus, code: codeFor(fastifyStatus), message: (error as Error).message };
  }
  return { status: 500, code: 'internal', message: 'internal error' };
}

/** A field's name for a JSON dialect: path parts joined with dots (`customers.3`), not Open Loyalty's brackets. */
export function dottedField(field: FieldError): string {
  return field.path?.join('.') ?? field.field;
}
