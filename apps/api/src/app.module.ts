import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule, TenantDirectory, TokenKey } from '@app/auth';
import { EngineModule, EngineModuleOptions } from '@app/engine';
import { HttpKitModule } from './http/http-kit.module';
import { OpenLoyaltyModule } from './dialects/open-loyalty/open-loyalty.module';
import { SallaModule } from './dialects/salla/salla.module';

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
        AuthModule.forRoot({
          directory: options.directory,
          tokenKeys: options.tokenKeys,
          rateLimitPerMinute: options.rateLimitPerMinute,
          clock: options.clock,
        }),
        HttpKitModule,
        OpenLoyaltyModule,
        SallaModule,
      ],
    };
  }
}
