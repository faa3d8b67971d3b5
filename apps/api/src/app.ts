import 'reflect-metadata';
import formbody from '@fastify/formbody';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamicModule, Logger, LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { Logger as PinoInstance } from 'pino';
import { parse as parseQuery } from 'qs';
import { bootstrapAuth, BootstrapResult, MongoTenantDirectory, rateLimitFromEnv, resolveTokenKeys, SqliteTenantDirectory, TenantDirectory } from '@app/auth';
import { EngineConfig, IdempotencyGuard, Infrastructure, loadTlsCredentials, openInfrastructure } from '@app/engine';
import type { Clock } from '@app/ledger';
import { ApiModule } from './app.module';
import { builtDashboardDir, serveDashboard } from './dashboard/serve-dashboard';
import { installBodyDepthLimit } from './http/body-depth';
import { installCommandContext } from './http/command-context';
import { ApiErrorFilter, ErrorWriters, installRouteErrorWriter } from './http/errors.filter';
import { installJsonBodyParser } from './http/json-body';
import { installMethodNotAllowed } from './http/method-not-allowed';
import { completeOpenApiDocument, documentValidationConstraints } from './http/openapi';
import { PREMS_PREFIXES } from './dialects/prems/shopware-errors';
import { validationPipe } from './http/validation';
import { installHttpObserver } from './ops/http-observer';
import { OpsMetrics } from './ops/metrics';
import { OpsModule } from './ops/ops.module';
import { opsOptionsFromEnv } from './ops/ops.options';

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
  /** the engine's structured logger (ops/logging.ts): Nest's logs and one line per request go to it; overrides `logger` */
  log?: PinoInstance;
  /** the built operator dashboard (default: dist/dashboard, found by builtDashboardDir) */
  dashboardDir?: string;
}

/** The API and its operations endpoints (health, metrics, logs), side by side. */
@Module({})
class EngineAppModule {}

/** Builds the whole engine for one profile: stores, projections, auth, every API dialect, OpenAPI at /docs. */
export async function createApiApp(config: EngineConfig, options: CreateApiOptions = {}): Promise<ApiApp> {
  const env = options.env ?? process.env;
  // read before any store opens, so a bad certificate path stops the start with nothing to close
  const https = config.tls ? loadTlsCredentials(config.tls) : undefined;
  const infrastructure = await openInfrastructure(config);
  const directory: TenantDirectory = infrastructure.sqlite
    ? new SqliteTenantDirectory(infrastructure.sqlite)
    : new MongoTenantDirectory(infrastructure.mongo!);
  const bootstrap = await bootstrapAuth(directory, env, { firstStartGeneratesClient: config.profile === 'embedded', clock: options.clock });
  const tokenKeys = await resolveTokenKeys(env, directory);

  const adapter = new FastifyAdapter({
    ...(https ? { https } : {}),
    bodyLimit: config.bodyLimitBytes,
    // bracketed form fields (transfer[points]) parse into nested objects, as PHP clients send them
    routerOptions: { querystringParser: (text: string) => parseQuery(text, { depth: 5, parameterLimit: 1000 }) as Record<string, string> },
  });
  const metrics = new OpsMetrics(infrastructure);
  const root: DynamicModule = {
    module: EngineAppModule,
    imports: [
      ApiModule.forRoot({ config, infrastructure, clock: options.clock, directory, tokenKeys, rateLimitPerMinute: rateLimitFromEnv(env), telemetry: metrics }),
      OpsModule.forRoot({ ...opsOptionsFromEnv(env), metrics, logger: options.log }),
    ],
  };
  const app = await NestFactory.create<NestFastifyApplication>(
    root,
    adapter,
    // Nest's own body parsers are off: Fastify parses JSON, and forms go through qs below
    { logger: options.logger ?? ['error', 'warn', 'log'], bufferLogs: Boolean(options.log), bodyParser: false },
  );
  if (options.log) app.useLogger(app.get(PinoNestLogger));
  await app.register(formbody, { parser: (text: string) => parseQuery(text, { depth: 5, parameterLimit: 1000 }) });
  // Prems clients send the Postman collection's bodies, // comments included
  installJsonBodyParser(app.getHttpAdapter().getInstance(), { commentsAllowedUnder: PREMS_PREFIXES });
  installCommandContext(app.getHttpAdapter().getInstance(), app.get(IdempotencyGuard));
  installBodyDepthLimit(app.getHttpAdapter().getInstance());
  const errorFilter = new ApiErrorFilter(app.get(ErrorWriters));
  installRouteErrorWriter(app.getHttpAdapter().getInstance(), errorFilter);
  installMethodNotAllowed(app.getHttpAdapter().getInstance(), errorFilter);
  installHttpObserver(app.getHttpAdapter().getInstance(), metrics, options.log);
  app.useGlobalPipes(validationPipe());
  const dashboardDir = options.dashboardDir ?? builtDashboardDir();
  if (dashboardDir) await serveDashboard(app.getHttpAdapter().getInstance(), dashboardDir);
  else new Logger('Dashboard').warn('the operator dashboard is not built (npm run build): /dashboard/ is not served');

  documentValidationConstraints();
  const generated = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Loyalty engine')
      .setDescription('Event-sourced loyalty points: Open Loyalty, Emporix, Prems, Salla and External API dialects over one ledger.')
      .addBearerAuth()
      .addBasicAuth()
      .build(),
  );
  const document = completeOpenApiDocument(generated, app.get(ErrorWriters));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });

  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return { app, infrastructure, directory, bootstrap };
}

/**
 * Hands the operator a first-start client's secret once, never through the log (log lines end up in
 * shared pipelines): on a terminal it is written to the terminal; otherwise into a file only the
 * engine's user can read, in the data folder, and the log says where.
 */
export function announceBootstrap(
  result: BootstrapResult,
  logger: Pick<Logger, 'log'> = new Logger('Bootstrap'),
  handOver: { terminal?: NodeJS.WriteStream; dataDir?: string } = {},
): void {
  const generated = result.generatedClient;
  if (!generated) return;
  const terminal = handOver.terminal ?? process.stdout;
  const where = `tenant "${result.tenant}", store "${result.storeCode}"`;
  if (terminal.isTTY || !handOver.dataDir) {
    terminal.write(
      `first start: created API client for ${where} (shown once, keep it):\n` +
        `  client_id=${generated.clientId}\n  client_secret=${generated.clientSecret}\n`,
    );
    return;
  }
  const file = join(handOver.dataDir, 'first-client.json');
  writeFileSync(file, `${JSON.stringify({ tenant: result.tenant, storeCode: result.storeCode, client_id: generated.clientId, client_secret: generated.clientSecret }, null, 2)}\n`, { mode: 0o600 });
  logger.log(`first start: created API client ${generated.clientId} for ${where}; its secret is in ${file} (readable by this user only): keep it and delete the file`);
}
