import { Writable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { correlationIdOf, createEngineLogger } from './logging';
import { opsOptionsFromEnv } from './ops.options';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, lines: () => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const requestWith = (headers: Record<string, string>) => ({ id: 'req-7', headers }) as unknown as FastifyRequest;

describe('engine logger', () => {
  it('redacts credential fields from any logged object', () => {
    const { stream, lines } = capture();
    const logger = createEngineLogger({}, stream);
    logger.info({ headers: { authorization: 'Bearer abc.def' }, body: { client_secret: 's3cr3t', password: 'pw' }, token: 'tok' }, 'careless');
    const [line] = lines();
    expect(JSON.stringify(line)).not.toMatch(/abc\.def|s3cr3t|"pw"|"tok"/);
    expect(line).toMatchObject({ headers: { authorization: '[redacted]' }, body: { client_secret: '[redacted]', password: '[redacted]' }, token: '[redacted]' });
  });

  it('writes at LOG_LEVEL and refuses an unknown level', () => {
    const { stream, lines } = capture();
    const logger = createEngineLogger({ LOG_LEVEL: 'warn' }, stream);
    logger.info('quiet');
    logger.warn('loud');
    expect(lines().map((line) => line.msg)).toEqual(['loud']);
    expect(() => createEngineLogger({ LOG_LEVEL: 'verbose' }, stream)).toThrow(/LOG_LEVEL must be one of/);
  });
});

describe('correlation id of a request', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('prefers X-Correlation-Id, then X-Request-Id, then the traceparent trace id, then the request id', () => {
    expect(correlationIdOf(requestWith({ 'x-correlation-id': 'corr', 'x-request-id': 'rid', traceparent }))).toBe('corr');
    expect(correlationIdOf(requestWith({ 'x-request-id': 'rid', traceparent }))).toBe('rid');
    expect(correlationIdOf(requestWith({ traceparent }))).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(correlationIdOf(requestWith({}))).toBe('req-7');
  });

  it('ignores a malformed traceparent and cuts a long header id', () => {
    expect(correlationIdOf(requestWith({ traceparent: 'not-a-trace' }))).toBe('req-7');
    expect(correlationIdOf(requestWith({ 'x-request-id': 'x'.repeat(1000) }))).toHaveLength(128);
  });
});

describe('ops options', () => {
  it('reads the readiness lag threshold and the metrics token, with defaults', () => {
    expect(opsOptionsFromEnv({})).toEqual({ readyMaxLag: 1000, metricsToken: undefined });
    expect(opsOptionsFromEnv({ LOYALTY_READY_MAX_LAG: '50', LOYALTY_METRICS_TOKEN: 'm' })).toEqual({ readyMaxLag: 50, metricsToken: 'm' });
    expect(() => opsOptionsFromEnv({ LOYALTY_READY_MAX_LAG: 'lots' })).toThrow(/LOYALTY_READY_MAX_LAG must be a non-negative integer/);
  });
});
