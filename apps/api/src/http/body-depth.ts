import { BadRequestException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/** No request of any dialect nests deeper than a few levels; 32 leaves room and keeps validation's recursion shallow. */
export const MAX_BODY_DEPTH = 32;

/** Whether arrays and objects in a parsed body nest deeper than `limit`, walked without recursion so the check cannot overflow itself. */
export function nestedDeeperThan(body: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value: body, depth: 0 }];
  while (pending.length > 0) {
    const { value, depth } = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(value)) pending.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/**
 * One check for JSON and form bodies alike, after parsing and before validation (which recurses once
 * per level). The refusal goes to the route's error handler, so each dialect writes it in its format.
 */
export function installBodyDepthLimit(fastify: FastifyInstance, limit = MAX_BODY_DEPTH): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    if (!nestedDeeperThan(request.body, limit)) return done();
    done(new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `request body is nested more than ${limit} levels deep` }));
  });
}
