import { HttpException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { ApiErrorFilter } from './errors.filter';

/** A known path asked with a method it does not serve: 405 with the methods it does in `Allow` (RFC 9110 §15.5.6). */
export class MethodNotAllowedError extends HttpException {
  readonly headers: Record<string, string>;
  constructor(method: string, allowed: readonly string[]) {
    super({ statusCode: 405, error: 'Method Not Allowed', message: `${method} is not allowed here; allowed: ${allowed.join(', ')}`, code: 'method_not_allowed' }, 405);
    this.headers = { Allow: allowed.join(', ') };
  }
}

/** A route's URL pattern (`/api/:storeCode/...`, `/docs/*`) as a regular expression over request paths. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/**
 * Fastify answers a method a path does not serve as an unknown path (404). Every route added after
 * this call is remembered, and a request that matched none but whose path another method serves is
 * refused with 405 and `Allow`, written by the dialect under whose prefix it falls.
 */
export function installMethodNotAllowed(fastify: FastifyInstance, filter: ApiErrorFilter): void {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  fastify.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
    routes.push({ pattern: patternOf(route.url), methods });
  });
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined) return;
    const path = request.url.split('?', 1)[0];
    const allowed = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) route.methods.forEach((m) => allowed.add(m));
    if (!allowed.size) return;
    if (allowed.has('GET')) allowed.add('HEAD');
    filter.write(new MethodNotAllowedError(request.method, [...allowed].sort()), request, reply);
    return reply;
  });
}
