import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Injectable, Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { InvalidPointsError, LedgerError } from '@app/ledger';
import { IdempotencyKeyReusedError, IdempotentRequestInFlightError } from '@app/engine';
import { EventIdConflictError, WrongExpectedRevisionError } from '@app/event-store';
import { Problem, problemOf } from './problem';
import { RequestValidationError } from './validation';

/** Open Loyalty's error body, the engine's own: status, a short error name, a message and, for bad input, each field's message. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** the ledger's stable reason code for business-rule refusals, e.g. insufficient_points */
  code?: string;
  errors?: { field: string; message: string }[];
  details?: Readonly<Record<string, unknown>>;
}

export const STATUS_NAMES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
const NAMES = STATUS_NAMES;

export function errorBody(error: unknown): ErrorBody {
  if (error instanceof RequestValidationError) {
    return { statusCode: 400, error: NAMES[400], message: 'request validation failed', errors: error.fields.map(({ field, message }) => ({ field, message })) };
  }
  if (error instanceof InvalidPointsError) {
    return { statusCode: 400, error: NAMES[400], message: error.message, errors: [{ field: 'points', message: error.message }] };
  }
  if (error instanceof LedgerError) {
    const status = error.httpStatus;
    // a refusal about one request field (a taken e-mail, a malformed id) names it as bad input does
    const field = typeof error.details?.field === 'string' ? error.details.field : undefined;
    return {
      statusCode: status,
      error: NAMES[status],
      message: error.message,
      code: error.code,
      ...(field ? { errors: [{ field, message: error.message }] } : {}),
      ...(error.details ? { details: error.details } : {}),
    };
  }
  if (error instanceof IdempotencyKeyReusedError || error instanceof IdempotentRequestInFlightError || error instanceof WrongExpectedRevisionError || error instanceof EventIdConflictError) {
    const { status, message, code } = problemOf(error);
    return { statusCode: status, error: NAMES[status], message, code };
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
  const { status, message, code } = problemOf(error);
  return { statusCode: status, error: NAMES[status] ?? (status < 500 ? 'Bad Request' : 'Error'), message, ...(status === 503 ? { code } : {}) };
}

/** What a dialect answers for a refusal: the status and body its own documents show. */
export interface WrittenError {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * How one vendor API writes its errors. `prefixes` are the URL paths its routes live under, so even a
 * refusal before routing (a malformed body, an unknown path below them) is written in its format.
 */
export interface DialectErrorWriter {
  dialect: string;
  prefixes: readonly string[];
  write(problem: Problem, request: FastifyRequest, error: unknown): WrittenError;
  /** the status this dialect answers a refusal of `status` with, when it is another (Emporix: 422 is its 400) */
  statusOf?(status: number): number;
  /** the JSON schema of the body it writes for `status`, for the OpenAPI document */
  schemaOf?(status: number): SchemaObject;
}

/** The error writers of the dialects the app serves; each dialect's module registers its own. */
@Injectable()
export class ErrorWriters {
  private readonly writers: DialectErrorWriter[] = [];

  register(writer: DialectErrorWriter): void {
    this.writers.push(writer);
  }

  /** the writer whose prefix matches the path the longest; Open Loyalty's (the engine's own) otherwise */
  for(url: string): DialectErrorWriter | undefined {
    const path = url.split('?', 1)[0];
    let best: { writer: DialectErrorWriter; length: number } | undefined;
    for (const writer of this.writers) {
      for (const prefix of writer.prefixes) {
        if ((path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)) && prefix.length > (best?.length ?? -1)) best = { writer, length: prefix.length };
      }
    }
    return best?.writer;
  }
}

/** Every refusal of every route: the dialect under whose paths the request falls writes it. */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiError');

  constructor(private readonly writers: ErrorWriters) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.write(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  write(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const problem = problemOf(error);
    if (problem.status >= 500) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    if (error instanceof HttpException) {
      const headers = (error as HttpException & { headers?: Record<string, string> }).headers;
      if (headers) for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
    }
    if (problem.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(problem.retryAfterSeconds));
    const writer = this.writers.for(request.url);
    const written: WrittenError = writer ? writer.write(problem, request, error) : { status: problem.status, body: errorBody(error) };
    for (const [name, value] of Object.entries(written.headers ?? {})) void reply.header(name, value);
    void reply.status(written.status).send(written.body);
  }
}

/**
 * Refusals Fastify makes itself before a handler runs (a body that is not valid JSON, too large, of an
 * unsupported type) reach no Nest filter: a Fastify route keeps the error handler of the moment it was
 * added, and Nest sets its own only after adding its routes. Every route added after this call writes
 * them through the filter, so each dialect answers them in its own format.
 */
export function installRouteErrorWriter(fastify: FastifyInstance, filter: ApiErrorFilter): void {
  fastify.addHook('onRoute', (route) => {
    route.errorHandler = (error, request, reply) => filter.write(error, request, reply);
  });
}
