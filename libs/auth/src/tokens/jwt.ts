import { createHmac, timingSafeEqual } from 'node:crypto';

/** One HMAC key; `kid` names it in the token header so rotated-out keys can still verify. */
export interface TokenKey {
  kid: string;
  secret: string;
}

export type JwtPayload = Record<string, unknown>;

export type JwtFailure = 'malformed' | 'unsupported_alg' | 'unknown_kid' | 'bad_signature';

export type JwtResult = { ok: true; payload: JwtPayload; kid: string } | { ok: false; reason: JwtFailure };

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeJson(segment: string): unknown {
  // base64url decoding in Node ignores stray characters; insisting on the canonical form rejects altered tokens early.
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hmac(key: TokenKey, signingInput: string): Buffer {
  return createHmac('sha256', key.secret).update(signingInput).digest();
}

/** A compact HS256 JWS signed with `key`. */
export function signJwt(payload: JwtPayload, key: TokenKey): string {
  const signingInput = `${encodeJson({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${encodeJson(payload)}`;
  return `${signingInput}.${hmac(key, signingInput).toString('base64url')}`;
}

/**
 * Checks structure, algorithm and signature only; claims (exp, aud, ...) are the caller's to judge.
 * Only HS256 is accepted, whatever the header says, so `alg: none` and algorithm confusion are refused.
 */
export function verifyJwt(token: string, keys: readonly TokenKey[]): JwtResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [headerSegment, payloadSegment, signatureSegment] = parts;
  const header = decodeJson(headerSegment);
  if (!isObject(header)) return { ok: false, reason: 'malformed' };
  if (header.alg !== 'HS256') return { ok: false, reason: 'unsupported_alg' };
  const key = keys.find((candidate) => candidate.kid === header.kid);
  if (!key) return { ok: false, reason: 'unknown_kid' };
  if (!/^[A-Za-z0-9_-]{43}$/.test(signatureSegment)) return { ok: false, reason: 'bad_signature' };
  // Compared as canonical text: decoding would accept several spellings of the last character.
  const expected = Buffer.from(hmac(key, `${headerSegment}.${payloadSegment}`).toString('base64url'));
  if (!timingSafeEqual(expected, Buffer.from(signatureSegment))) return { ok: false, reason: 'bad_signature' };
  const payload = decodeJson(payloadSegment);
  if (!isObject(payload)) return { ok: false, reason: 'malformed' };
  return { ok: true, payload, kid: key.kid };
}
