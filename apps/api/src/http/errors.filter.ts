import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { InvalidPointsError, LedgerError } from '@app/ledger';
import { IdempotencyKeyReusedError } from '@app/engine';
import { EventIdConflictError, WrongExpectedRevisionError } from '@app/event-store';
import { RequestValidationError } from './validation';

/** The one error body of the REST API: status, a short error name, a message and, for bad input, each field's message. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** the ledger's stable reason code for business-rule refusals, e.g. insufficient_points */
  code?: string;
  errors?: { field: string; message: string }[];
  details?: Readonly<Record<string, unknown>>;
}

const NAMES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorBody(error: unknown): ErrorBody {
  if (error instanceof RequestValidationError) {
    return { statusCode: 400, error: NAMES[400], message: 'request validation failed', errors: error.fields };
  }
  if (error instanceof InvalidPointsError) {
    return { statusCode: 400, error: NAMES[400], message: error.message, errors: [{ field: 'points', message: error.message }] };
  }
  if (error instanceof LedgerError) {
    const status = error.httpStatus;
    return { statusCode: status, error: NAMES[status], message: error.message, code: error.code, ...(error.details ? { details: error.details } : {}) };
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return { statusCode: 409, error: NAMES[409], message: error.message, code: 'idempotency_key_reused' };
  }
  if (error instanceof WrongExpectedRevisionError || error instanceof EventIdConflictError) {
    // still conflicting after the bounded re-decisions: the client may simply retry
    return { statusCode: 409, error: NAMES[409], message: 'the account changed concurrently too often; retry the request', code: 'concurrent_update' };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    if (typeof response === 'object' && response !== null) {
      const body = response as Record<string, unknown>;
      // RFC 6749 token errors keep their own shape
      if (typeof body.error === 'string' && 'error_description' in body) return body as unknown as ErrorBody;
      const message = Array.isArray(body.message) ? body.message.join('; ') : String(body.message ?? error.message);
      return { ...body, statusCode: status, error: String(body.error ?? NAMES[status] ?? 'Error'), message } as ErrorBody;
    }
    return { statusCode: status, error: NAMES[status] ?? 'Error', message: String(response) };
  }
  const fastifyStatus = (error as { statusCode?: number })?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    // body-parser refusals from Fastify (malformed JSON, too large, unsupported type)
    return { statusCode: fastifyStatus, error: NAMES[fastifyStatus] ?? 'Bad Request', message: (error as Error).message };
  }
  return { statusCode: 500, error: NAMES[500], message: 'internal error' };
}

@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiError');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = errorBody(error);
    if (body.statusCode >= 500) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    if (error instanceof HttpException) {
      const headers = (error as HttpException & { headers?: Record<string, string> }).headers;
      if (headers) for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
    }
    // RFC 6749 bodies carry no statusCode: the exception's own status applies
    void reply.status(error instanceof HttpException ? error.getStatus() : (body.statusCode ?? HttpStatus.INTERNAL_SERVER_ERROR)).send(body);
  }
}
