import { createSecretKey, KeyObject } from 'node:crypto';
import { JsonWebTokenError, JwtService, NotBeforeError, TokenExpiredError } from '@nestjs/jwt';

/** One HMAC key; `kid` names it in the token header so rotated-out keys can still verify. */
export interface TokenKey {
  kid: string;
  secret: string;
}

export type JwtPayload = Record<string, unknown>;

export type JwtFailure = 'malformed' | 'unsupported_alg' | 'unknown_kid' | 'bad_signature' | 'bad_claims' | 'wrong_audience' | 'expired';

export type JwtResult = { ok: true; payload: JwtPayload; kid: string } | { ok: false; reason: JwtFailure };

/** Claims jsonwebtoken checks on verify, against the caller's clock (seconds) with `clockTolerance` seconds of skew. */
export interface JwtClaimChecks {
  audience: string;
  clockTimestamp: number;
  clockTolerance: number;
}

const ALGORITHM = 'HS256';
// Secrets are passed per call (they rotate), so one option-less service serves every key.
const jwt = new JwtService();

// Handed a string, jsonwebtoken first tries to parse it as a public key on every call (a third of the
// engine's CPU under load); a ready secret KeyObject skips that. Keys are few and long-lived.
const secretKeys = new Map<string, KeyObject>();
function secretKeyOf(key: TokenKey): Buffer {
  let secretKey = secretKeys.get(key.secret);
  if (!secretKey) secretKeys.set(key.secret, (secretKey = createSecretKey(Buffer.from(key.secret, 'utf8'))));
  // jsonwebtoken accepts a KeyObject wherever a secret goes; @nestjs/jwt's types only name string | Buffer
  return secretKey as unknown as Buffer;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The header alone, so the key can be picked by `kid` before anything else is read. */
function decodeHeader(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  // base64url decoding in Node ignores stray characters; insisting on the canonical form rejects altered headers early.
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[0])) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    return isObject(header) ? header : undefined;
  } catch {
    return undefined;
  }
}

function rejection(error: unknown): JwtFailure {
  if (error instanceof TokenExpiredError || error instanceof NotBeforeError) return 'expired';
  if (!(error instanceof JsonWebTokenError)) throw error;
  if (error.message.startsWith('jwt audience invalid')) return 'wrong_audience';
  if (error.message === 'invalid exp value' || error.message === 'invalid nbf value') return 'bad_claims';
  if (error.message === 'invalid algorithm') return 'unsupported_alg';
  // Everything else jsonwebtoken refuses before the claims (bad signature, unreadable payload) is an unproven token.
  return 'bad_signature';
}

/**
 * A compact HS256 JWS signed with `key`, its `kid` in the header. The payload is signed as given: `iat`/`exp` come from
 * the caller's clock, and jsonwebtoken adds no wall-clock `iat` of its own (`noTimestamp` would drop a given one).
 */
export function signJwt(payload: JwtPayload, key: TokenKey): string {
  return jwt.sign(payload, { secret: secretKeyOf(key), algorithm: ALGORITHM, keyid: key.kid, noTimestamp: payload.iat === undefined });
}

/**
 * Picks the key by the header's `kid` (all listed keys verify), then lets jsonwebtoken check the signature with
 * HS256 only, so `alg: none` and algorithm confusion are refused. With `checks`, it also checks `aud` and `exp`/`nbf`;
 * without, claims are the caller's to judge.
 */
export function verifyJwt(token: string, keys: readonly TokenKey[], checks?: JwtClaimChecks): JwtResult {
  const header = decodeHeader(token);
  if (!header) return { ok: false, reason: 'malformed' };
  if (header.alg !== ALGORITHM) return { ok: false, reason: 'unsupported_alg' };
  const key = keys.find((candidate) => candidate.kid === header.kid);
  if (!key) return { ok: false, reason: 'unknown_kid' };
  let payload: unknown;
  try {
    payload = jwt.verify<object>(token, { secret: secretKeyOf(key), algorithms: [ALGORITHM], ...(checks ?? { ignoreExpiration: true }) });
  } catch (error) {
    return { ok: false, reason: rejection(error) };
  }
  if (!isObject(payload)) return { ok: false, reason: 'malformed' };
  return { ok: true, payload, kid: key.kid };
}
