import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import passport from 'passport';
import type { Strategy } from 'passport';
import type { Principal } from '../principal';
import type { Scope } from '../scopes';
import { StoreAccess } from '../store-access';
import type { StoreRecord } from '../tenant-directory.port';
import { CUSTOMER_ACCESS, CustomerAccessRule, DEFAULT_CUSTOMER_ACCESS, DEFAULT_STORE_SOURCE, REQUIRED_SCOPES, STORE_SOURCE, StoreSource } from './access-rule';
import {
  AuthenticationRequiredException,
  CustomerNotFoundException,
  MissingScopeException,
  WrongRoleException,
} from './exceptions';
import { basicCredentials } from './basic-credentials';
import { ApiKeyBasicStrategy, AUTH_REALM, BearerTokenStrategy } from './strategies';

/** What the guard leaves on the request for handlers and param decorators. */
export interface AuthenticatedRequest extends FastifyRequest {
  principal?: Principal;
  loyaltyStore?: StoreRecord;
}

type PassportMiddleware = (request: unknown, response: unknown, next: (error?: unknown) => void) => void;

function field(source: unknown, name: string): string | undefined {
  const value = (source as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

function routeParam(request: FastifyRequest, name: string): string | undefined {
  return field(request.params, name);
}

const TOKEN_OUTSIDE_HEADER = 'send the bearer token in the Authorization header; access_token in the query string or body is not accepted';

function carriesAccessToken(request: FastifyRequest): boolean {
  const inQuery = (request.query as Record<string, unknown> | undefined)?.access_token;
  const inBody = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>).access_token : undefined;
  return inQuery !== undefined || inBody !== undefined;
}

/**
 * Authenticates through passport (bearer token, or Basic API key), then enforces the route's scopes,
 * who may call it (client or customer), and the tenant binding of its store and customer parameters.
 */
@Injectable()
export class LoyaltyAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(BearerTokenStrategy) private readonly bearer: BearerTokenStrategy,
    @Inject(ApiKeyBasicStrategy) private readonly basic: ApiKeyBasicStrategy,
    @Inject(StoreAccess) private readonly stores: StoreAccess,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const scopes = this.reflector.getAllAndOverride<readonly Scope[] | undefined>(REQUIRED_SCOPES, targets) ?? [];
    const customers = this.reflector.getAllAndOverride<CustomerAccessRule | undefined>(CUSTOMER_ACCESS, targets) ?? DEFAULT_CUSTOMER_ACCESS;
    const storeSource = this.reflector.getAllAndOverride<StoreSource | undefined>(STORE_SOURCE, targets) ?? DEFAULT_STORE_SOURCE;
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const principal = await this.authenticate(request, http.getResponse<FastifyReply>());
    // tenant binding first: another tenant's store is a 404 on every route, whatever else is wrong
    // a client without a default store is not a tenancy question: it gets its 401/403 answers first
    if (storeSource.from !== 'client-default') request.loyaltyStore = await this.findStore(request, principal, storeSource);

    if (principal.role === 'customer' && customers.mode === 'deny') {
      throw new WrongRoleException('customer tokens cannot call this route; it is for integration clients');
    }
    if (principal.role === 'client' && customers.mode === 'only') {
      throw new WrongRoleException('this route is for customer tokens only');
    }
    const missing = scopes.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) throw new MissingScopeException(scopes, missing);

    const customerId = routeParam(request, customers.customerParam);
    if (principal.role === 'customer' && customerId !== undefined && customerId !== principal.customerId) {
      throw new CustomerNotFoundException(customerId);
    }
    if (storeSource.from === 'client-default') request.loyaltyStore = await this.findStore(request, principal, storeSource);
    request.principal = principal;
    return true;
  }

  /** The store the request names, within the caller's tenant; undefined when the route names none. */
  private async findStore(request: FastifyRequest, principal: Principal, source: StoreSource): Promise<StoreRecord | undefined> {
    switch (source.from) {
      case 'param': {
        const code = routeParam(request, source.name);
        return code === undefined ? undefined : this.stores.resolveStore(principal, code);
      }
      case 'query': {
        const code = field(request.query, source.name) || source.fallback;
        return code === undefined ? undefined : this.stores.resolveStore(principal, code);
      }
      case 'body': {
        const alias = field(request.body, source.name);
        return alias ? this.stores.resolveAlias(principal, alias) : undefined;
      }
      case 'client-default':
        return this.stores.defaultStore(principal);
    }
  }

  private authenticate(request: AuthenticatedRequest, reply: FastifyReply): Promise<Principal> {
    const header = request.headers.authorization;
    const usesBasic = typeof header === 'string' && /^basic\s/i.test(header);
    // The scheme picks the strategy, so the challenge we answer with matches what the caller tried.
    const strategy: Strategy = usesBasic ? this.basic : this.bearer;
    const challenge = usesBasic
      ? `Basic realm="${AUTH_REALM}"`
      : `Bearer realm="${AUTH_REALM}"${typeof header === 'string' && header !== '' ? ', error="invalid_token"' : ''}`;
    return new Promise<Principal>((resolve, reject) => {
      const middleware = passport.authenticate(strategy, { session: false }, (error: unknown, user: Principal | false | undefined) => {
        if (error) return reject(error);
        if (!user) {
          reply.header('WWW-Authenticate', challenge);
          return reject(new AuthenticationRequiredException(header === undefined && carriesAccessToken(request) ? TOKEN_OUTSIDE_HEADER : undefined));
        }
        resolve(user);
      }) as PassportMiddleware;
      middleware(request, reply, (error) => reject(error ?? new AuthenticationRequiredException()));
    });
  }
}

/** Rate limit per authenticated caller (client, or customer token), so one integration cannot starve the rest. */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const principal = request.principal as Principal | undefined;
    if (!principal) return `ip:${String(request.ip)}`;
    const customer = principal.role === 'customer' ? `:customer:${principal.customerId}` : '';
    return `client:${principal.tenant}:${principal.clientId}${customer}`;
  }

  /** Same key as the library's (route + throttler + tracker), kept in memory only, so not hashed per request. */
  protected override generateKey(context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${context.getClass().name}-${context.getHandler().name}-${throttlerName}-${tracker}`;
  }
}

/**
 * The token endpoint is throttled per client id (from the body or HTTP Basic) and address, so the clients
 * behind one address do not share a bucket; guessing a secret is slowed further by FailedAuthentications.
 */
@Injectable()
export class TokenEndpointThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const body = request.body as Record<string, unknown> | undefined;
    const headers = request.headers as Record<string, string | undefined> | undefined;
    const basic = basicCredentials(headers?.authorization);
    const clientId = typeof basic === 'object' ? basic.clientId : typeof body?.client_id === 'string' ? body.client_id : '';
    return `token:${String(request.ip)}:${clientId}`;
  }
}
