import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '@app/ledger/clock';
import type { ClientService } from '../client.service';
import type { Principal } from '../principal';
import { isScope, normalizeScopes, type Scope } from '../scopes';
import type { ClientRecord, StoreRecord } from '../tenant-directory.port';
import { signJwt, verifyJwt, type JwtFailure, type TokenKey } from './jwt';

export const TOKEN_AUDIENCE = 'loyalty-engine';
export const TOKEN_ISSUER = 'loyalty-engine';
// Replicas' clocks drift a little; a token is not refused for a few seconds of skew.
const CLOCK_SKEW_SECONDS = 30;
/** Tokens whose signature and audience were checked, remembered so a busy client's token is not re-verified per request. */
const VERIFIED_TOKENS_MAX = 10_000;

export interface TokenSettings {
  /** first signs, all verify */
  keys: readonly TokenKey[];
  clientTokenTtlSeconds: number;
  customerTokenTtlSeconds: number;
  clock?: Clock;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scopes: Scope[];
}

export type TokenRejection = JwtFailure | 'client_inactive';

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: TokenRejection };

interface AccessClaims {
  sub: string;
  tenant: string;
  scopes: Scope[];
  role: 'client' | 'customer';
  customerId?: string;
  store?: string;
  exp: number;
  iat: number;
}

function readClaims(payload: Record<string, unknown>): AccessClaims | undefined {
  const { sub, tenant, scopes, role, customerId, store, exp, iat } = payload;
  if (typeof sub !== 'string' || typeof tenant !== 'string') return undefined;
  if (!Array.isArray(scopes) || !scopes.every(isScope)) return undefined;
  if (!Number.isInteger(exp) || !Number.isInteger(iat)) return undefined;
  if (role === 'client') return { sub, tenant, scopes, role, exp: exp as number, iat: iat as number };
  if (role === 'customer' && typeof customerId === 'string' && typeof store === 'string') {
    return { sub, tenant, scopes, role, customerId, store, exp: exp as number, iat: iat as number };
  }
  return undefined;
}

/** What a checked signature proved about a token: its claims, and its not-before when it has one. */
interface VerifiedToken {
  claims: AccessClaims;
  nbf?: number;
}

/** Mints and checks the engine's bearer tokens (HS256 JWTs). */
export class TokenService {
  private readonly clock: Clock;
  // The signing keys are fixed for this service's life, so a token string whose signature and audience
  // checked out once always will; its times and its client are still judged on every request.
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly settings: TokenSettings,
    private readonly clients: ClientService,
  ) {
    if (settings.keys.length === 0) throw new Error('TokenService needs at least one signing key');
    this.clock = settings.clock ?? systemClock;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }

  issueClientToken(client: ClientRecord, scopes: readonly Scope[]): IssuedToken {
    return this.sign({ sub: client.clientId, tenant: client.tenant, role: 'client' }, scopes, this.settings.clientTokenTtlSeconds);
  }

  /** A short-lived token that lets one customer act in one store, minted by a client allowed to impersonate. */
  issueCustomerToken(minter: Principal, store: StoreRecord, customerId: string, scopes: readonly Scope[]): IssuedToken {
    return this.sign(
      { sub: minter.clientId, tenant: store.tenant, role: 'customer', customerId, store: store.storeCode },
      scopes,
      this.settings.customerTokenTtlSeconds,
    );
  }

  /** Signature, audience and expiry, then the client behind it must still be live; scopes shrink with the client's. */
  async verify(token: string): Promise<TokenCheck> {
    const now = this.nowSeconds();
    let known = this.verified.get(token);
    if (known) {
      // what jsonwebtoken judges on a first check, judged again against today's clock
      if (now >= known.claims.exp + CLOCK_SKEW_SECONDS) return { ok: false, reason: 'expired' };
      if (known.nbf !== undefined && known.nbf > now + CLOCK_SKEW_SECONDS) return { ok: false, reason: 'expired' };
    } else {
      const signed = verifyJwt(token, this.settings.keys, { audience: TOKEN_AUDIENCE, clockTimestamp: now, clockTolerance: CLOCK_SKEW_SECONDS });
      if (!signed.ok) return signed;
      const claims = readClaims(signed.payload);
      if (!claims) return { ok: false, reason: 'bad_claims' };
      known = { claims, ...(typeof signed.payload.nbf === 'number' ? { nbf: signed.payload.nbf } : {}) };
      if (this.verified.size >= VERIFIED_TOKENS_MAX) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, known);
    }
    const claims = known.claims;
    // jsonwebtoken judges exp (and nbf) but not an iat from the future.
    if (claims.iat - CLOCK_SKEW_SECONDS > now) return { ok: false, reason: 'expired' };
    const client = await this.clients.findActiveClient(claims.sub);
    if (!client || client.tenant !== claims.tenant) return { ok: false, reason: 'client_inactive' };
    // A customer token lives only as long as its minter may still impersonate.
    if (claims.role === 'customer' && !client.scopes.includes('customers:impersonate')) return { ok: false, reason: 'client_inactive' };
    const scopes = normalizeScopes(claims.scopes.filter((scope) => client.scopes.includes(scope)));
    const principal: Principal = {
      tenant: claims.tenant,
      clientId: claims.sub,
      scopes,
      role: claims.role,
      via: 'bearer',
      ...(claims.role === 'customer' ? { customerId: claims.customerId, storeCode: claims.store } : {}),
      ...(claims.role === 'client' && client.defaultStore !== undefined ? { defaultStore: client.defaultStore } : {}),
    };
    return { ok: true, principal };
  }

  private sign(subject: Pick<AccessClaims, 'sub' | 'tenant' | 'role' | 'customerId' | 'store'>, scopes: readonly Scope[], ttl: number): IssuedToken {
    const iat = this.nowSeconds();
    const granted = normalizeScopes(scopes);
    const payload = {
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
      ...subject,
      scopes: granted,
      iat,
      exp: iat + ttl,
      jti: randomUUID(),
    };
    return { accessToken: signJwt(payload, this.settings.keys[0]), expiresIn: ttl, scopes: granted };
  }
}
