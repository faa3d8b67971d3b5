import { createHmac } from 'node:crypto';
import { signJwt, verifyJwt, type TokenKey } from './jwt';

const current: TokenKey = { kid: 'k2', secret: 'current-signing-key-0123456789abcdef' };
const previous: TokenKey = { kid: 'k1', secret: 'previous-signing-key-0123456789abcdef' };
const payload = { sub: 'client-a', tenant: 't1', scopes: ['points:read'], aud: 'loyalty-engine', iat: 1, exp: 2 };

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('HS256 JWT', () => {
  it('round-trips a payload and names the key that signed it', () => {
    const token = signJwt(payload, current);
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'k2' });
    expect(verifyJwt(token, [current, previous])).toEqual({ ok: true, payload, kid: 'k2' });
  });

  it('rotation: tokens signed by a retired key still verify while that key is listed', () => {
    const old = signJwt(payload, previous);
    expect(verifyJwt(old, [current, previous])).toMatchObject({ ok: true, kid: 'k1' });
  });

  it('rotation: once the retired key is dropped, its tokens are refused as unknown kid', () => {
    const old = signJwt(payload, previous);
    expect(verifyJwt(old, [current])).toEqual({ ok: false, reason: 'unknown_kid' });
  });

  it('refuses alg none, even with an empty signature and a known kid', () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT', kid: 'k2' })}.${b64(payload)}.`;
    expect(verifyJwt(unsigned, [current])).toEqual({ ok: false, reason: 'unsupported_alg' });
  });

  it('refuses other algorithms such as HS512 signed with the same secret', () => {
    const input = `${b64({ alg: 'HS512', kid: 'k2' })}.${b64(payload)}`;
    const signature = createHmac('sha512', current.secret).update(input).digest('base64url');
    expect(verifyJwt(`${input}.${signature}`, [current])).toEqual({ ok: false, reason: 'unsupported_alg' });
  });

  it('refuses a tampered payload', () => {
    const [header, , signature] = signJwt(payload, current).split('.');
    const forged = `${header}.${b64({ ...payload, scopes: ['points:write'] })}.${signature}`;
    expect(verifyJwt(forged, [current])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a signature made with another secret under a known kid', () => {
    const forged = signJwt(payload, { kid: 'k2', secret: 'attacker-guess-0123456789abcdef0123' });
    expect(verifyJwt(forged, [current])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a signature whose last character is altered, even where base64 decoding would ignore it', () => {
    const token = signJwt(payload, current);
    const last = token.at(-1) as string;
    const sibling = String.fromCharCode(last.charCodeAt(0) ^ 1);
    expect(verifyJwt(token.slice(0, -1) + sibling, [current])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('signs the payload as given: no wall-clock iat is added', () => {
    const { iat, ...undated } = payload;
    void iat;
    const verified = verifyJwt(signJwt(undated, current), [current]);
    expect(verified).toEqual({ ok: true, payload: undated, kid: 'k2' });
  });

  it('with claim checks, judges audience and expiry against the given clock and skew', () => {
    const token = signJwt(payload, current);
    const checks = { audience: 'loyalty-engine', clockTolerance: 30 };
    expect(verifyJwt(token, [current], { ...checks, clockTimestamp: 31 })).toMatchObject({ ok: true });
    expect(verifyJwt(token, [current], { ...checks, clockTimestamp: 32 })).toEqual({ ok: false, reason: 'expired' });
    expect(verifyJwt(token, [current], { ...checks, audience: 'billing', clockTimestamp: 1 })).toEqual({ ok: false, reason: 'wrong_audience' });
    // jsonwebtoken will not sign a non-numeric exp, so this one is signed by hand.
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k2' })}.${b64({ ...payload, exp: 'later' })}`;
    const oddExp = `${input}.${createHmac('sha256', current.secret).update(input).digest('base64url')}`;
    expect(verifyJwt(oddExp, [current], { ...checks, clockTimestamp: 1 })).toEqual({ ok: false, reason: 'bad_claims' });
  });

  it('refuses garbage', () => {
    expect(verifyJwt('not-a-token', [current])).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyJwt('a.b.c', [current])).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyJwt(`${b64({ alg: 'HS256', kid: 'k2' })}.%%%.${'A'.repeat(43)}`, [current])).toEqual({ ok: false, reason: 'bad_signature' });
  });
});
