import 'reflect-metadata';
import formbody from '@fastify/formbody';
import { Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { parse as parseQuery } from 'qs';
import { bootstrapAuth, BootstrapResult, MongoTenantDirectory, rateLimitFromEnv, resolveTokenKeys, SqliteTenantDirectory, TenantDirectory } from '@app/auth';
import { EngineConfig, IdempotencyGuard, Infrastructure, openInfrastructure } from '@app/engine';
import type { Clock } from '@app/ledger';
import { ApiModule } from './app.module';
import { installCommandContext } from './http/command-context';
import { ApiErrorFilter, ErrorWriters, installRefusalHandler } from './http/errors.filter';
import { validationPipe } from './http/validation';

export interface ApiApp {
  app: NestFastifyApplication;
  infrastructure: Infrastructure;
  directory: TenantDirectory;
  bootstrap: BootstrapResult;
}

export interface CreateApiOptions {
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  logger?: false | LogLevel[];
}

/** Builds the whole engine for one profile: stores, projections, auth, every API dialect, OpenAPI at /docs. */
export async function createApiApp(config: EngineConfig, options: CreateApiOptions = {}): Promise<ApiApp> {
  const env = options.env ?? process.env;
  const infrastructure = await openInfrastructure(config);
  const directory: TenantDirectory = infrastructure.sqlite
    ? new SqliteTenantDirectory(infrastructure.sqlite)
    : new MongoTenantDirectory(infrastructure.mongo!);
  const bootstrap = await bootstrapAuth(directory, env, { firstStartGeneratesClient: config.profile === 'embedded', clock: options.clock });
  const tokenKeys = await resolveTokenKeys(env, directory);

  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // bracketed form fields (transfer[points]) parse into nested objects, as PHP clients send them
    routerOptions: { querystringParser: (text: string) => parseQuery(text, { depth: 5, parameterLimit: 1000 }) as Record<string, string> },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot({ config, infrastructure, clock: options.clock, directory, tokenKeys, rateLimitPerMinute: rateLimitFromEnv(env) }),
    adapter,
    // Nest's own body parsers are off: Fastify parses JSON, and forms go through qs below
    { logger: options.logger ?? ['error', 'warn', 'log'], bufferLogs: false, bodyParser: false },
  );
  await app.register(formbody, { parser: (text: string) => parseQuery(text, { depth: 5, parameterLimit: 1000 }) });
  installCommandContext(app.getHttpAdapter().getInstance(), app.get(IdempotencyGuard));
  installRefusalHandler(adapter, new ApiErrorFilter(app.get(ErrorWriters)));
  app.useGlobalPipes(validationPipe());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Loyalty engine')
      .setDescription('Event-sourced loyalty points: Open Loyalty, Emporix, Prems, Salla and External API dialects over one ledger.')
      .addBearerAuth()
      .addBasicAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });

  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return { app, infrastructure, directory, bootstrap };
}

export function announceBootstrap(result: BootstrapResult, logger = new Logger('Bootstrap')): void {
  if (result.generatedClient) {
    logger.log(
      `first start: created API client for tenant "${result.tenant}", store "${result.storeCode}" (shown once, keep it):\n` +
        `  client_id=${result.generatedClient.clientId}\n  client_secret=${result.generatedClient.clientSecret}`,
    );
  }
}
