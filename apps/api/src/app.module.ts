import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule, TenantDirectory, TokenKey } from '@app/auth';
import { EngineModule, EngineModuleOptions, KnownCustomers } from '@app/engine';
import { HttpKitModule } from './http/http-kit.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { EmporixModule } from './dialects/emporix/emporix.module';
import { OpenLoyaltyModule } from './dialects/open-loyalty/open-loyalty.module';
import { PremsModule } from './dialects/prems/prems.module';
import { ExternalApiModule } from './dialects/external-api/external-api.module';
import { SallaModule } from './dialects/salla/salla.module';
import { SubscribersModule } from './subscribers/subscribers.module';

export interface ApiModuleOptions extends EngineModuleOptions {
  directory: TenantDirectory;
  tokenKeys: readonly TokenKey[];
  rateLimitPerMinute?: number;
}

@Module({})
export class ApiModule {
  static forRoot(options: ApiModuleOptions): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        EngineModule.forRoot(options),
        AuthModule.forRootAsync({
          // customer tokens only for customers the engine knows; EngineModule is global
          useFactory: (customers: KnownCustomers) => ({
            directory: options.directory,
            customers,
            tokenKeys: options.tokenKeys,
            rateLimitPerMinute: options.rateLimitPerMinute,
            clock: options.clock,
          }),
          inject: [KnownCustomers],
        }),
        HttpKitModule,
        OpenLoyaltyModule,
        EmporixModule,
        PremsModule,
        ExternalApiModule,
        SallaModule,
        DashboardModule,
        SubscribersModule,
      ],
    };
  }
}
