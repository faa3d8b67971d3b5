import pino, { DestinationStream, Logger as PinoInstance } from 'pino';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '@app/auth';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** ids taken from request headers are kept to this length, so a client cannot flood a log line */
const MAX_ID_LENGTH = 128;

/** Field paths a log object must never show, whoever logs it: credentials and tokens. */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'password',
  '*.password',
  'client_secret',
  '*.client_secret',
  'clientSecret',
  '*.clientSecret',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
];

function prettyWanted(): boolean {
  if (!process.stdout.isTTY) return false;
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    // a production install without dev dependencies keeps plain JSON lines
    return false;
  }
}

/**
 * The engine's logger: one JSON object a line on stdout (pretty-printed only on a terminal, when
 * pino-pretty is installed), at LOG_LEVEL (default info).
 */
export function createEngineLogger(env: NodeJS.ProcessEnv = process.env, destination?: DestinationStream): PinoInstance {
  const level = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LEVELS.includes(level)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (destination) return pino(options, destination);
  if (prettyWanted()) return pino(options, pino.transport({ target: 'pino-pretty', options: { colorize: true } }));
  return pino(options);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text ? text.slice(0, MAX_ID_LENGTH) : undefined;
}

/** The W3C trace id of a `traceparent` header (version-traceid-parentid-flags), when well formed. */
function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = traceparent && /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent.trim());
  return match ? match[1] : undefined;
}

/** The id that ties this request to its caller's trace: X-Correlation-Id, X-Request-Id, traceparent's trace id, else our request id. */
export function correlationIdOf(request: FastifyRequest): string {
  return header(request, 'x-correlation-id') ?? header(request, 'x-request-id') ?? traceIdOf(header(request, 'traceparent')) ?? String(request.id);
}

/**
 * One line per answered request. Only these fields: no URL (it may carry customer ids or e-mails), no
 * headers, no body. The route is its pattern (`/api/:storeCode/points/transfer/add`).
 */
export function logRequest(logger: PinoInstance, request: FastifyRequest, reply: FastifyReply, route: string, durationMs: number): void {
  const principal = (request as FastifyRequest & { principal?: Principal }).principal;
  const params = request.params as Record<string, string | undefined> | undefined;
  const line = {
    reqId: String(request.id),
    correlationId: correlationIdOf(request),
    tenant: principal?.tenant,
    store: (params?.storeCode ?? params?.siteCode)?.slice(0, MAX_ID_LENGTH),
    method: request.method,
    route,
    status: reply.statusCode,
    durationMs: Math.round(durationMs * 100) / 100,
  };
  if (reply.statusCode >= 500) logger.error(line, 'request failed');
  else logger.info(line, 'request completed');
}
