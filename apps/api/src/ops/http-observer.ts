import type { FastifyInstance } from 'fastify';
import type { Logger as PinoInstance } from 'pino';
import { logRequest } from './logging';
import type { OpsMetrics } from './metrics';

/**
 * Counts and times every answered request, and logs it when a logger is given. One Fastify
 * onResponse hook rather than a Nest interceptor, for the per-request cost (see http/command-context.ts).
 */
export function installHttpObserver(fastify: FastifyInstance, metrics: OpsMetrics, logger?: PinoInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    // the pattern, never the filled URL: ids in paths would make a series per customer
    const route = request.routeOptions.url ?? 'unmatched';
    const durationMs = reply.elapsedTime;
    metrics.httpRequest(request.method, route, reply.statusCode, durationMs / 1000);
    if (logger) logRequest(logger, request, reply, route, durationMs);
    done();
  });
}
