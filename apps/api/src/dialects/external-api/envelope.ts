import { HttpException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { DialectErrorWriter, WrittenError } from '../../http/errors.filter';
import { dottedField, Problem } from '../../http/problem';

export enum Severity {
  Success = 0,
  Warning = 1,
  Error = 2,
}

interface Outcome {
  code: string;
  severity: Severity;
  /** the HTTP status the answer goes out with; `as refused`: the status of the refusal itself */
  status: number | 'as refused';
  /** when it is given, for the README and the OpenAPI description */
  when: string;
}

/**
 * Every answer of the External API, one row each: its two-digit `Code`, `CodeName`, severity and HTTP
 * status. The README's code table is this table.
 */
export const OUTCOMES = {
  Success: { code: '00', severity: Severity.Success, status: 200, when: 'the points were changed' },
  BalanceIsZero: { code: '01', severity: Severity.Warning, status: 200, when: 'the points were removed and the balance is now 0' },
  ValidationFailed: { code: '02', severity: Severity.Error, status: 400, when: 'a field is missing or invalid, Amount disagrees with OperationType, or the body is not JSON' },
  CustomerNotFound: { code: '03', severity: Severity.Error, status: 404, when: 'Email names no registered customer of the store' },
  AccountNotFound: { code: '04', severity: Severity.Error, status: 404, when: 'the customer has no points account in the store (points removed before any were added)' },
  InsufficientPoints: { code: '05', severity: Severity.Error, status: 422, when: 'the removal is larger than the available balance' },
  ChangeKeyAlreadyUsed: { code: '06', severity: Severity.Error, status: 409, when: 'the ChangeKey was used before: nothing changed, Result is the first answer' },
  AccountClosed: { code: '07', severity: Severity.Error, status: 409, when: "the customer's points account is closed" },
  Unauthorized: { code: '08', severity: Severity.Error, status: 401, when: 'no, wrong or revoked API key and secret' },
  Forbidden: { code: '09', severity: Severity.Error, status: 403, when: 'the client lacks the points:write scope, or a customer token was used' },
  NotFound: { code: '10', severity: Severity.Error, status: 404, when: 'unknown path, or the client has no default store' },
  ConcurrentUpdate: { code: '11', severity: Severity.Error, status: 409, when: 'the account changed concurrently too often: send the same request again' },
  RateLimited: { code: '12', severity: Severity.Error, status: 429, when: 'too many requests from this client' },
  RequestRejected: { code: '13', severity: Severity.Error, status: 'as refused', when: 'wrong method (405), content type (415) or a body that is too large (413)' },
  BusinessRuleViolated: { code: '14', severity: Severity.Error, status: 422, when: 'another ledger rule refused the change' },
  InternalError: { code: '99', severity: Severity.Error, status: 'as refused', when: 'the engine failed or is unavailable (500, 503); nothing was stored for the request' },
} as const satisfies Record<string, Outcome>;

export type CodeName = keyof typeof OUTCOMES;

export class FieldMessage {
  @ApiProperty({ example: 'Amount' }) Field!: string;
  @ApiProperty({ example: 'must be negative when OperationType is 1 (remove)' }) Message!: string;
}

/** The External API's response envelope (every answer, success, warning or error). */
export class Envelope<R = unknown> {
  @ApiPropertyOptional({ description: 'business payload; null on errors, the first answer on ChangeKeyAlreadyUsed', nullable: true }) Result!: R | null;
  @ApiProperty({ example: '00', description: 'two-digit business code' }) Code!: string;
  @ApiProperty({ example: 'Success', enum: Object.keys(OUTCOMES) }) CodeName!: CodeName;
  @ApiProperty({ enum: [0, 1, 2], description: '0 Success, 1 Warning, 2 Error' }) Severity!: Severity;
  @ApiProperty() IsWarning!: boolean;
  @ApiProperty() IsError!: boolean;
  @ApiPropertyOptional({ nullable: true, description: 'what went wrong; null unless IsError' }) Error!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'legacy numeric error code: the HTTP status of the internal refusal; null unless IsError' }) ErrorCode!: number | null;
  @ApiPropertyOptional({ type: [FieldMessage], description: 'validation failures only: one message per field' }) Errors?: FieldMessage[];
}

export function envelope<R>(name: CodeName, result: R | null, error?: { message: string; status: number; fields?: FieldMessage[] }): Envelope<R> {
  const outcome = OUTCOMES[name];
  return {
    Result: result,
    Code: outcome.code,
    CodeName: name,
    Severity: outcome.severity,
    IsWarning: outcome.severity === Severity.Warning,
    IsError: outcome.severity === Severity.Error,
    Error: error?.message ?? null,
    ErrorCode: error ? error.status : null,
    ...(error?.fields?.length ? { Errors: error.fields } : {}),
  };
}

/** Which row of the table a refusal is, by its stable problem code (then by its status). */
function codeNameOf(problem: Problem): CodeName {
  switch (problem.code) {
    case 'validation_failed':
    case 'invalid_customer_id':
    case 'invalid_points':
      return 'ValidationFailed';
    case 'customer_not_found':
      return 'CustomerNotFound';
    case 'account_not_found':
      return 'AccountNotFound';
    case 'insufficient_points':
      return 'InsufficientPoints';
    case 'account_closed':
      return 'AccountClosed';
    case 'unauthorized':
      return 'Unauthorized';
    case 'forbidden':
      return 'Forbidden';
    case 'not_found':
    case 'store_not_found':
      return 'NotFound';
    case 'concurrent_update':
      return 'ConcurrentUpdate';
    case 'rate_limited':
      return 'RateLimited';
  }
  if (problem.status >= 500) return 'InternalError';
  if (problem.status === 400) return 'ValidationFailed';
  if (problem.status === 401) return 'Unauthorized';
  if (problem.status === 403) return 'Forbidden';
  if (problem.status === 404) return 'NotFound';
  if (problem.status === 409) return 'ConcurrentUpdate';
  if (problem.status === 422) return 'BusinessRuleViolated';
  return 'RequestRejected';
}

/** The HTTP status of a refusal: the table's, or the refusal's own where the table says so. */
function statusOf(name: CodeName, problem: Problem): number {
  const status: Outcome['status'] = OUTCOMES[name].status;
  return status === 'as refused' ? problem.status : status;
}

/** A refusal as the External API answers it; the key-reuse answer (ChangeKeyUsed) carries its own envelope. */
export function errorEnvelope(problem: Problem): { status: number; body: Envelope } {
  const name = codeNameOf(problem);
  const status = statusOf(name, problem);
  const fields = problem.fields?.map((field) => ({ Field: dottedField(field), Message: field.message }));
  const message = name === 'InternalError' ? 'internal error' : problem.message;
  return { status, body: envelope(name, null, { message, status, ...(name === 'ValidationFailed' && fields ? { fields } : {}) }) };
}

/** A repeat of a ChangeKey: refused with the first answer as its Result; thrown so the error writer sends it. */
export class ChangeKeyUsed extends HttpException {
  readonly body: Envelope;

  constructor(changeKey: string, first: Envelope) {
    const message = `ChangeKey "${changeKey}" was already used; this request changed nothing (Result is the answer the first request got)`;
    super({ message, code: 'change_key_used' }, OUTCOMES.ChangeKeyAlreadyUsed.status);
    this.body = envelope('ChangeKeyAlreadyUsed', first, { message, status: OUTCOMES.ChangeKeyAlreadyUsed.status });
  }
}

/** Every refusal under /external-api, routed or not (malformed JSON, unknown path, auth), as an envelope. */
export const externalApiErrorWriter: DialectErrorWriter = {
  dialect: 'external-api',
  prefixes: ['/external-api'],
  write(problem: Problem, _request: FastifyRequest, error: unknown): WrittenError {
    if (error instanceof ChangeKeyUsed) return { status: OUTCOMES.ChangeKeyAlreadyUsed.status, body: error.body };
    return errorEnvelope(problem);
  },
};
