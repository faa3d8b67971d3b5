import { DynamicModule, FactoryProvider, InjectionToken, Module, ModuleMetadata, OptionalFactoryDependency, Provider } from '@nestjs/common';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions } from '@nestjs/throttler';
import { systemClock, type Clock } from '@app/ledger/clock';
import { ClientService } from './client.service';
import { ClientThrottlerGuard, LoyaltyAuthGuard, TokenEndpointThrottlerGuard } from './http/auth.guard';
import { CustomerTokenController } from './http/customer-token.controller';
import { FailedAuthentications } from './http/failed-authentications';
import { OAuthTokenController } from './http/oauth-token.controller';
import { ApiKeyBasicStrategy, BearerTokenStrategy } from './http/strategies';
import { HitWindowThrottlerStorage } from './http/throttler-storage';
import { AUTH_OPTIONS, CUSTOMER_DIRECTORY, TENANT_DIRECTORY } from './http/tokens';
import { StoreAccess } from './store-access';
import type { CustomerDirectory } from './customer-directory.port';
import type { TenantDirectory } from './tenant-directory.port';
import type { TokenKey } from './tokens/jwt';
import { TokenService } from './tokens/token.service';

export interface AuthModuleOptions {
  directory: TenantDirectory;
  /** who may get a customer token: only customers the store knows */
  customers: CustomerDirectory;
  /** first signs, all verify; see parseTokenKeys / resolveTokenKeys */
  tokenKeys: readonly TokenKey[];
  /** client tokens; default 3600 */
  clientTokenTtlSeconds?: number;
  /** customer tokens; default 900 */
  customerTokenTtlSeconds?: number;
  /** per client (and per customer token) per minute; default 6000 */
  rateLimitPerMinute?: number;
  clock?: Clock;
}

export interface AuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => AuthModuleOptions | Promise<AuthModuleOptions>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
}

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;

/** LOYALTY_RATE_LIMIT_PER_MINUTE, or the generous default. */
export function rateLimitFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.LOYALTY_RATE_LIMIT_PER_MINUTE;
  if (raw === undefined || raw === '') return DEFAULT_RATE_LIMIT_PER_MINUTE;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`LOYALTY_RATE_LIMIT_PER_MINUTE must be a positive integer, got "${raw}"`);
  return limit;
}

function provide<T>(token: InjectionToken, useFactory: (options: AuthModuleOptions, ...rest: never[]) => T, inject: InjectionToken[] = []): FactoryProvider<T> {
  return { provide: token, useFactory: useFactory as (...args: unknown[]) => T, inject: [AUTH_OPTIONS, ...inject] };
}

const coreProviders: Provider[] = [
  provide(TENANT_DIRECTORY, (options) => options.directory),
  provide(CUSTOMER_DIRECTORY, (options) => options.customers),
  provide(ClientService, (options) => new ClientService(options.directory, options.clock ?? systemClock)),
  provide(
    TokenService,
    (options, clients: ClientService) =>
      new TokenService(
        {
          keys: options.tokenKeys,
          clientTokenTtlSeconds: options.clientTokenTtlSeconds ?? 3600,
          customerTokenTtlSeconds: options.customerTokenTtlSeconds ?? 900,
          clock: options.clock,
        },
        clients,
      ),
    [ClientService],
  ),
  provide(StoreAccess, (options) => new StoreAccess(options.directory)),
  provide(FailedAuthentications, (options) => new FailedAuthentications(options.clock ?? systemClock)),
  // The throttler's options and storage are provided here (not via ThrottlerModule) so the limit can come from async options.
  provide(getOptionsToken(), (options): ThrottlerModuleOptions => ({
    throttlers: [{ name: 'default', ttl: 60_000, limit: options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE }],
  })),
  // constant cost per request; the library's in-memory storage copies every live hit per request
  { provide: getStorageToken(), useFactory: () => new HitWindowThrottlerStorage() },
  BearerTokenStrategy,
  ApiKeyBasicStrategy,
  LoyaltyAuthGuard,
  ClientThrottlerGuard,
  TokenEndpointThrottlerGuard,
];

const exported = [
  AUTH_OPTIONS,
  TENANT_DIRECTORY,
  CUSTOMER_DIRECTORY,
  ClientService,
  TokenService,
  StoreAccess,
  getOptionsToken(),
  getStorageToken(),
  BearerTokenStrategy,
  ApiKeyBasicStrategy,
  LoyaltyAuthGuard,
  ClientThrottlerGuard,
];

/**
 * Tenancy, clients, tokens and guards. Global, because every API dialect module guards its routes with
 * @RequireScopes and the guards' dependencies must resolve from any module.
 */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      controllers: [OAuthTokenController, CustomerTokenController],
      providers: [{ provide: AUTH_OPTIONS, useValue: options }, ...coreProviders],
      exports: exported,
    };
  }

  /** For apps whose options need providers of their own, e.g. the engine's KnownCustomers. */
  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports: options.imports ?? [],
      controllers: [OAuthTokenController, CustomerTokenController],
      providers: [
        { provide: AUTH_OPTIONS, useFactory: options.useFactory as (...args: unknown[]) => AuthModuleOptions, inject: options.inject ?? [] },
        ...coreProviders,
      ],
      exports: exported,
    };
  }
}
