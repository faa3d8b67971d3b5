import type { FastifyRequest } from 'fastify';
import { MissingScopeException } from '@app/auth';
import type { DialectErrorWriter, WrittenError } from '../../http/errors.filter';
import { dottedField, Problem } from '../../http/problem';
import { fieldMessage, localeOf, SALLA_TEXT } from './salla-messages';

export const SALLA_PREFIX = '/admin/v2/customers/loyalty';
/** Salla's scope for this route; our token's `points:write` stands for it */
export const SALLA_SCOPE = 'customers.read_write';

const CODES: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

/**
 * Salla's error envelopes: `{status, success: false, error: {code, message, fields?}}`.
 * - bad input: 422 `alert.invalid_fields` with each field's messages (Arabic, or English on
 *   `Accept-Language: en`);
 * - a body that is no request at all (malformed JSON): 400 with the document's message, which its
 *   schema wants under `data` and its example under `error`, so both carry it;
 * - a token without our `points:write` scope: 401 naming Salla's `customers.read_write`, as Salla does.
 */
export const sallaErrorWriter: DialectErrorWriter = {
  dialect: 'salla',
  prefixes: [SALLA_PREFIX],
  write(problem: Problem, request: FastifyRequest, error: unknown): WrittenError {
    const locale = localeOf(request);
    if (problem.code === 'validation_failed' && problem.status === 400 && problem.fields?.length) {
      const fields: Record<string, string[]> = {};
      for (const field of problem.fields) {
        const name = dottedField(field);
        (fields[name] ??= []).push(fieldMessage(field.message, name, locale));
      }
      return { status: 422, body: { status: 422, success: false, error: { code: 'error', message: SALLA_TEXT.invalidFields[locale], fields } } };
    }
    if (problem.status === 400 || problem.status === 422) {
      const message = `${SALLA_TEXT.failed[locale]}${locale === 'en' ? `: ${problem.message}` : ''}`;
      return { status: 400, body: { status: 400, success: false, data: { code: 400, message }, error: { code: problem.code, message } } };
    }
    if (error instanceof MissingScopeException) {
      const missing = error.missingScopes.join(', ');
      return {
        status: 401,
        body: {
          status: 401,
          success: false,
          error: { code: 'Unauthorized', message: `The access token should have access to one of those scopes: ${SALLA_SCOPE} (this engine's scope ${missing})` },
        },
      };
    }
    const status = problem.status;
    const code = CODES[status] ?? (status >= 500 ? 'InternalServerError' : 'error');
    return { status, body: { status, success: false, error: { code, message: problem.message } } };
  },
};
