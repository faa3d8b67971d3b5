import type { FastifyInstance } from 'fastify';

/**
 * Makes every route hand the errors Fastify raises before the handler (a body the JSON parser refuses,
 * a body over the limit) to the instance's error handler of the moment, which is Nest's: its filter
 * lets the dialect under whose paths the request falls write them. Without this a route keeps the
 * handler the instance had when Fastify built it, and a plugin awaited in onModuleInit (multipart) has
 * it built before Nest installs its own, so those refusals came out in Fastify's default body.
 */
export function routeErrorsThroughNest(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    route.errorHandler ??= function (this: FastifyInstance, error, request, reply) {
      return fastify.errorHandler.call(this, error, request, reply);
    };
  });
}
