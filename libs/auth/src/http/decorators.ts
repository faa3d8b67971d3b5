import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata, UseGuards } from '@nestjs/common';
import type { Principal as PrincipalShape } from '../principal';
import type { Scope } from '../scopes';
import type { StoreRecord } from '../tenant-directory.port';
import { CUSTOMER_ACCESS, CustomerAccessRule, PUBLIC_ROUTE, REQUIRED_SCOPES, STORE_SOURCE, StoreSource } from './access-rule';
import { AuthenticatedRequest, ClientThrottlerGuard, LoyaltyAuthGuard } from './auth.guard';

/**
 * Protects a route (or a controller): valid credentials (401 otherwise) holding every listed scope
 * (403 naming the missing one otherwise), and a per-client rate limit (429 with Retry-After).
 */
export function RequireScopes(...scopes: Scope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(REQUIRED_SCOPES, scopes), UseGuards(LoyaltyAuthGuard, ClientThrottlerGuard));
}

/**
 * Says on purpose that a route answers without credentials, and why. Every route has either this or
 * @RequireScopes: the auth isolation walk fails on a route with neither, so none is left open by mistake.
 */
export function PublicRoute(why: string): MethodDecorator & ClassDecorator {
  return SetMetadata(PUBLIC_ROUTE, why);
}

/** Lets customer tokens call a route: `allow` (clients too) or `only`; a customer may only address itself. */
export function CustomerAccess(mode: 'allow' | 'only', customerParam = 'customerId'): MethodDecorator & ClassDecorator {
  const rule: CustomerAccessRule = { mode, customerParam };
  return SetMetadata(CUSTOMER_ACCESS, rule);
}

/** Where the route's request names its store, when not in a `storeCode` route parameter (see StoreSource). */
export function StoreFrom(source: StoreSource): MethodDecorator & ClassDecorator {
  return SetMetadata(STORE_SOURCE, source);
}

function authenticatedRequest(context: ExecutionContext): AuthenticatedRequest {
  return context.switchToHttp().getRequest<AuthenticatedRequest>();
}

export type Principal = PrincipalShape;

/** The authenticated caller; only on routes behind @RequireScopes. */
export const Principal = createParamDecorator((_: unknown, context: ExecutionContext): PrincipalShape => {
  const principal = authenticatedRequest(context).principal;
  if (!principal) throw new Error('@Principal() used on a route without @RequireScopes()');
  return principal;
});

/** The route's store, already checked to belong to the caller's tenant. */
export const CurrentStore = createParamDecorator((_: unknown, context: ExecutionContext): StoreRecord => {
  const store = authenticatedRequest(context).loyaltyStore;
  if (!store) throw new Error('@CurrentStore() used on a route without a store parameter behind @RequireScopes()');
  return store;
});

/** The store the request named, or undefined where its source may name none (StoreFrom `body`). */
export const NamedStore = createParamDecorator((_: unknown, context: ExecutionContext): StoreRecord | undefined => authenticatedRequest(context).loyaltyStore);
