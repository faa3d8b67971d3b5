import type { FastifyRequest } from 'fastify';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { MissingScopeException, StoreNotFoundException } from '@app/auth';
import { DialectErrorWriter, STATUS_NAMES, WrittenError } from '../../http/errors.filter';
import type { Problem } from '../../http/problem';
import type { FieldError } from '../../http/validation';

/** Where the Prems routes live: the Shopware Admin API paths the plugin registers. */
export const PREMS_PREFIXES = ['/api/v2/prems-bonus-system', '/api/_action/prems'] as const;

/** One entry of a Shopware Admin API error body (Shopware's ErrorResponseFactory writes these). */
export interface ShopwareError {
  status: string;
  code: string;
  title: string;
  detail: string;
  source?: { pointer: string };
  meta?: { parameters: Readonly<Record<string, unknown>> };
}

/** Symfony's constraint error names, as Shopware prefixes them with VIOLATION:: */
const VIOLATIONS: Record<string, string> = {
  isDefined: 'IS_BLANK_ERROR',
  isNotEmpty: 'IS_BLANK_ERROR',
  isString: 'INVALID_TYPE_ERROR',
  isInt: 'INVALID_TYPE_ERROR',
  notEquals: 'IS_EQUAL_ERROR',
  min: 'TOO_LOW_ERROR',
  max: 'TOO_HIGH_ERROR',
  maxLength: 'TOO_LONG_ERROR',
  matches: 'REGEX_FAILED_ERROR',
  whitelistValidation: 'NO_SUCH_FIELD_ERROR',
};

/** Shopware's own codes where it has one for the same refusal; the plugin's namespace for the ledger's rules. */
const CODES: Record<string, string> = {
  customer_not_found: 'CHECKOUT__CUSTOMER_NOT_FOUND',
  store_not_found: 'FRAMEWORK__SALES_CHANNEL_NOT_FOUND',
  forbidden: 'FRAMEWORK__MISSING_PRIVILEGE_ERROR',
  // league/oauth2-server's access_denied, which Shopware's Admin API answers a missing or bad token with
  unauthorized: '9',
  insufficient_points: 'PREMS_BONUS_SYSTEM__NOT_ENOUGH_POINTS',
};

/** Refusals Symfony raises itself (malformed body, unknown route, ...): Shopware writes their code as "0". */
const HTTP_LEVEL = new Set(['validation_failed', 'not_found', 'method_not_allowed', 'payload_too_large', 'unsupported_media_type', 'rate_limited', 'unavailable', 'internal']);

function codeOf(problem: Problem): string {
  if (CODES[problem.code]) return CODES[problem.code];
  if (HTTP_LEVEL.has(problem.code)) return '0';
  return `PREMS_BONUS_SYSTEM__${problem.code.toUpperCase()}`;
}

/** RFC 6901: a field path as a JSON pointer into the request body. */
function pointerOf(field: FieldError): string {
  return '/' + (field.path ?? [field.field]).map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

export function shopwareErrors(problem: Problem, error: unknown): ShopwareError[] {
  const status = String(problem.status);
  if (problem.fields?.length) {
    return problem.fields.map((field) => ({
      status,
      code: field.constraint ? `VIOLATION::${VIOLATIONS[field.constraint] ?? field.constraint.replace(/([A-Z])/g, '_$1').toUpperCase() + '_ERROR'}` : codeOf(problem),
      title: field.constraint ? 'Constraint violation error' : (STATUS_NAMES[problem.status] ?? 'Error'),
      detail: field.message,
      source: { pointer: pointerOf(field) },
    }));
  }
  const entry: ShopwareError = { status, code: codeOf(problem), title: STATUS_NAMES[problem.status] ?? 'Error', detail: problem.message };
  if (problem.status === 401) entry.title = 'The resource owner or authorization server denied the request.';
  if (problem.status === 403) {
    // Shopware's administration parses this detail as JSON to list what the integration lacks
    const missing = error instanceof MissingScopeException ? error.missingScopes : [];
    entry.code = CODES.forbidden;
    entry.detail = JSON.stringify({ message: problem.message, missingPrivileges: missing });
  }
  if (error instanceof StoreNotFoundException && error.storeCode) {
    entry.detail = `sales channel "${error.storeCode}" names no store of this integration (map it: loyalty stores add <tenant> <storeCode> --alias ${error.storeCode})`;
  }
  if (problem.details) entry.meta = { parameters: problem.details };
  return [entry];
}

const SHOPWARE_ERRORS_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['errors'],
  properties: {
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['status', 'code', 'title', 'detail'],
        properties: {
          status: { type: 'string' },
          code: { type: 'string' },
          title: { type: 'string' },
          detail: { type: 'string' },
          source: { type: 'object', properties: { pointer: { type: 'string' } } },
          meta: { type: 'object', properties: { parameters: { type: 'object', additionalProperties: true } } },
        },
      },
    },
  },
};

/** Prems answers every refusal in Shopware's Admin API form: {"errors": [{status, code, title, detail, source?, meta?}]}. */
export const shopwareErrorWriter: DialectErrorWriter = {
  dialect: 'prems',
  prefixes: PREMS_PREFIXES,
  write(problem: Problem, _request: FastifyRequest, error: unknown): WrittenError {
    return { status: problem.status, body: { errors: shopwareErrors(problem, error) } };
  },
  schemaOf: () => SHOPWARE_ERRORS_SCHEMA,
};
