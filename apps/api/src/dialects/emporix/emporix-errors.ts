import type { FastifyRequest } from 'fastify';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { Clock } from '@app/ledger';
import type { DialectErrorWriter, WrittenError } from '../../http/errors.filter';
import { dottedField, Problem } from '../../http/problem';

/** Where Emporix's reward points routes live: every refusal below it is written here. */
export const EMPORIX_PREFIX = '/reward-points';

/** One cause of an error, as Emporix's "Schema for API specified errors" lists it. */
export interface EmporixErrorDetail {
  field: string | null;
  type: string | null;
  message: string;
  moreInfo: string;
}

/** Emporix's body for 400, 404, 409 (and what we answer 422 with): the reward points service's documented error schema. */
export interface EmporixError {
  status: number;
  type: string;
  message: string;
  moreInfo: string;
  details: EmporixErrorDetail[];
}

/** Emporix's 403 body: `code` is the HTTP status, `status` its name. */
export interface EmporixForbidden {
  code: 403;
  status: 'Forbidden';
  message: string;
  details: string[];
}

/** Emporix's 401 comes from its API gateway. */
export interface EmporixUnauthorized {
  fault: { faultstring: string; detail: { errorcode: string } };
}

const EMPORIX_ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status', 'type', 'message', 'details'],
  properties: {
    status: { type: 'integer' },
    type: { type: 'string' },
    message: { type: 'string' },
    moreInfo: { type: 'string' },
    details: {
      type: 'array',
      items: {
        type: 'object',
        required: ['message'],
        properties: { field: { type: 'string', nullable: true }, type: { type: 'string', nullable: true }, message: { type: 'string' }, moreInfo: { type: 'string' } },
      },
    },
  },
};
const EMPORIX_FORBIDDEN_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['code', 'status', 'message'],
  properties: { code: { type: 'integer', enum: [403] }, status: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: { type: 'string' } } },
};
const EMPORIX_UNAUTHORIZED_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['fault'],
  properties: {
    fault: {
      type: 'object',
      required: ['faultstring'],
      properties: { faultstring: { type: 'string' }, detail: { type: 'object', properties: { errorcode: { type: 'string' } } } },
    },
  },
};
const EMPORIX_SERVER_ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status', 'error'],
  properties: { timestamp: { type: 'string', format: 'date-time' }, status: { type: 'integer' }, error: { type: 'string' }, path: { type: 'string' } },
};

function typeOf(problem: Problem): string {
  if (problem.code === 'validation_failed') return 'validation_violation';
  if (problem.status === 404) return 'resource_not_found';
  return problem.code;
}

/** Ledger names for what Emporix's bodies call otherwise: a ledger refusal naming one is about that body field. */
const EMPORIX_FIELDS: Readonly<Record<string, string>> = { occurredAt: 'createdAt', expiresAt: 'validUntil' };

function messageOf(problem: Problem): string {
  return Object.entries(EMPORIX_FIELDS).reduce((message, [ledger, emporix]) => message.replaceAll(ledger, emporix), problem.message);
}

function detailsOf(problem: Problem): EmporixErrorDetail[] {
  if (problem.fields?.length) {
    return problem.fields.map((field) => ({ field: dottedField(field), type: 'invalid_value', message: field.message, moreInfo: '' }));
  }
  const named = Object.keys(EMPORIX_FIELDS).find((ledger) => problem.details?.[ledger] !== undefined);
  return [{ field: named ? EMPORIX_FIELDS[named] : null, type: typeOf(problem), message: messageOf(problem), moreInfo: '' }];
}

/**
 * Errors as the Emporix Reward Points Service documents them (its api.yml `components.responses`):
 * 401 the gateway's `fault`, 403 `{code, status, message, details[]}`, 500 `{timestamp, status, error, path}`,
 * everything else `{status, type, message, moreInfo, details[{field, type, message, moreInfo}]}`.
 * Emporix documents no 422 for these routes: a business rule the request breaks is its 400.
 */
export function emporixErrorWriter(clock: Clock): DialectErrorWriter {
  return {
    dialect: 'emporix',
    prefixes: [EMPORIX_PREFIX],
    write(problem: Problem, request: FastifyRequest): WrittenError {
      if (problem.status === 401) {
        return { status: 401, body: { fault: { faultstring: problem.message, detail: { errorcode: 'oauth.v2.InvalidAccessToken' } } } satisfies EmporixUnauthorized };
      }
      if (problem.status === 403) {
        return { status: 403, body: { code: 403, status: 'Forbidden', message: problem.message, details: [problem.message] } satisfies EmporixForbidden };
      }
      if (problem.status >= 500) {
        const path = request.url.split('?', 1)[0];
        return { status: problem.status, body: { timestamp: clock.now().toISOString(), status: problem.status, error: problem.status === 500 ? 'Internal Server Error' : problem.message, path } };
      }
      const status = problem.status === 422 ? 400 : problem.status;
      const body: EmporixError = { status, type: typeOf(problem), message: messageOf(problem), moreInfo: '', details: detailsOf(problem) };
      return { status, body };
    },
    statusOf: (status) => (status === 422 ? 400 : status),
    schemaOf(status: number): SchemaObject {
      if (status === 401) return EMPORIX_UNAUTHORIZED_SCHEMA;
      if (status === 403) return EMPORIX_FORBIDDEN_SCHEMA;
      if (status >= 500) return EMPORIX_SERVER_ERROR_SCHEMA;
      return EMPORIX_ERROR_SCHEMA;
    },
  };
}
