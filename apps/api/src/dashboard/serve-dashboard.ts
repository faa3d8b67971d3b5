import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';

export const DASHBOARD_PREFIX = '/dashboard/';

/**
 * Where `npm run build` leaves the bundle (vite, apps/dashboard/vite.config.mjs): dist/dashboard at the
 * repository root, seen from this file in the sources (tests, ts-node) or in dist/apps/api (npm start).
 */
export function builtDashboardDir(): string | undefined {
  const candidates = [resolve(__dirname, '../../../../dist/dashboard'), resolve(__dirname, '../../../../dashboard')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

// the page loads only its own bundle and talks only to this engine; tokens live in its memory, so no framing and no referrer
const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Serves the built operator dashboard at /dashboard/ without credentials: the page holds no data, it
 * signs in with a client's id and secret and reads the protected API like any client.
 */
export async function serveDashboard(fastify: FastifyInstance, dir: string): Promise<void> {
  await fastify.register(fastifyStatic, {
    root: dir,
    prefix: DASHBOARD_PREFIX,
    // leaves reply.sendFile to any other registration of the plugin (Nest's useStaticAssets decorates it)
    decorateReply: false,
    index: 'index.html',
    setHeaders: (reply, path) => {
      void reply.headers(PAGE_HEADERS);
      // hashed asset names change with their content; the page itself is revalidated
      void reply.header('Cache-Control', path.startsWith(join(dir, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  // the page lives at /dashboard/ (the plugin's prefix); the address without the slash leads there
  fastify.get(DASHBOARD_PREFIX.slice(0, -1), (_request, reply) => reply.redirect(DASHBOARD_PREFIX, 302));
}
