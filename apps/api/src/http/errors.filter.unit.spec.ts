import { NotFoundException } from '@nestjs/common';
import { IdempotencyKeyReusedError } from '@app/engine';
import { StorageFullError, WrongExpectedRevisionError } from '@app/event-store';
import { ProjectionLagError } from '@app/read-models';
import { InvalidPointsError, LedgerError } from '@app/ledger';
import { errorBody } from './errors.filter';
import { problemOf } from './problem';
import { RequestValidationError } from './validation';

describe('one error body for every refusal', () => {
  it('bad input is a 400 with a message per field', () => {
    const body = errorBody(new RequestValidationError([{ field: 'transfer[points]', message: 'points may have at most 2 decimal places' }]));
    expect(body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'request validation failed',
      errors: [{ field: 'transfer[points]', message: 'points may have at most 2 decimal places' }],
    });
    expect(errorBody(new InvalidPointsError('x', 'points must be a number'))).toMatchObject({ statusCode: 400, errors: [{ field: 'points' }] });
  });

  it('a ledger refusal keeps its status hint and stable code', () => {
    expect(errorBody(new LedgerError('insufficient_points', 'not enough points', { available: 1 }))).toEqual({
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: 'not enough points',
      code: 'insufficient_points',
      details: { available: 1 },
    });
    expect(errorBody(new LedgerError('transfer_not_found', 'no such transfer')).statusCode).toBe(404);
  });

  it('a reused idempotency key and a conflict that outlived the retries are 409s, never 500s', () => {
    expect(errorBody(new IdempotencyKeyReusedError('k'))).toMatchObject({ statusCode: 409, code: 'idempotency_key_reused' });
    expect(errorBody(new WrongExpectedRevisionError('s', 3, 4))).toMatchObject({ statusCode: 409, code: 'concurrent_update' });
  });

  it('Nest and Fastify refusals keep their status; anything unknown is a 500 that says nothing inside', () => {
    expect(errorBody(new NotFoundException('no route'))).toMatchObject({ statusCode: 404, message: 'no route' });
    expect(errorBody(Object.assign(new Error('Body is not valid JSON'), { statusCode: 400 }))).toMatchObject({ statusCode: 400, message: 'Body is not valid JSON' });
    expect(errorBody(new Error('database is locked at /secret/path'))).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  });
});

describe('a store out of space', () => {
  it("is a 503 unavailable with Retry-After, never a 500: SQLite's SQLITE_FULL and the store's own free-space refusal alike", () => {
    const sqliteFull = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    for (const error of [sqliteFull, new StorageFullError(1024, 2048)]) {
      expect(problemOf(error)).toMatchObject({ status: 503, code: 'unavailable', retryAfterSeconds: 30 });
      expect(errorBody(error)).toMatchObject({ statusCode: 503, error: 'Service Unavailable', code: 'unavailable' });
    }
  });

  it('views that cannot catch up in time make a read 503 with Retry-After, not a 500', () => {
    expect(problemOf(new ProjectionLagError(['accounts'], 9))).toMatchObject({ status: 503, code: 'read_models_behind', retryAfterSeconds: 5 });
  });
});
