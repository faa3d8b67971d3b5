import { Webhook } from 'standardwebhooks';
import { decodeCursor, encodeCursor } from './public-events';
import { retryAfterMs, retryDelayMs } from './webhook-dispatcher';
import { newWebhookSecret, signWebhook } from './webhook-signature';

describe('webhook signatures, retries and cursors', () => {
  it('signs so that the standardwebhooks package verifies, and only with the right secret', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const timestamp = Math.floor(Date.now() / 1000);
    const body = '{"type":"points.added"}';
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, 'msg_1', timestamp, body) };
    expect(new Webhook(secret).verify(body, headers)).toEqual({ type: 'points.added' });
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('added', 'spent'), headers)).toThrow();
  });

  it('backs off exponentially from 5 s to an hour, each delay drawn from the upper half of its step', () => {
    expect(retryDelayMs(1, () => 0)).toBe(2_500);
    expect(retryDelayMs(1, () => 1)).toBe(5_000);
    expect(retryDelayMs(4, () => 1)).toBe(40_000);
    expect(retryDelayMs(30, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(30, () => 0)).toBe(1_800_000);
    // capped at an hour, 3 days of retries take at least 72 attempts: never fewer than the spec's minimum
    let elapsed = 0;
    let attempt = 0;
    while (elapsed < 3 * 24 * 3_600_000) elapsed += retryDelayMs(++attempt, () => 1);
    expect(attempt).toBeGreaterThan(72);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('gives out opaque cursors and takes back only its own', () => {
    expect(decodeCursor(encodeCursor(42))).toBe(42);
    expect(decodeCursor(encodeCursor(-1))).toBe(-1);
    expect(encodeCursor(42)).not.toContain('42');
    for (const foreign of ['42', 'c1.', 'c1.YWJj', 'c2.NDI', `c1.${Buffer.from('1e3').toString('base64url')}`]) expect(decodeCursor(foreign)).toBeUndefined();
  });
});
