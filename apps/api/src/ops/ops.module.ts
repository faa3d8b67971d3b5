import { BeforeApplicationShutdown, DynamicModule, Injectable, Logger, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { Server } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoInstance } from 'pino';
import { HealthController } from './health.controller';
import { OpsMetrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { OPS_OPTIONS, OpsOptions } from './ops.options';

export interface OpsModuleOptions extends OpsOptions {
  metrics: OpsMetrics;
  /** the engine's pino logger; without it Nest keeps its own console logger (tests) */
  logger?: PinoInstance;
}

const IDLE_SWEEP_MS = 50;
/** the longest a stop waits for requests in flight (an XML import may run long); then their connections are cut */
const DRAIN_LIMIT_MS = 30_000;

/**
 * Stops taking requests and lets those in flight finish before anything else shuts down: Nest
 * closes the HTTP server only after every shutdown hook, so the stores (closed by the engine's
 * hook) would go away under requests still running.
 */
@Injectable()
class DrainHttpFirst implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async beforeApplicationShutdown(): Promise<void> {
    this.logger.log('no new requests; finishing those in flight');
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const closed = this.adapterHost.httpAdapter.close();
    // a keep-alive connection is closed once its request is answered: otherwise the server waits for the client to hang up
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const cutOff = setTimeout(() => {
      this.logger.warn(`requests still running after ${DRAIN_LIMIT_MS / 1000}s: closing their connections`);
      server.closeAllConnections();
    }, DRAIN_LIMIT_MS);
    try {
      await closed;
    } finally {
      clearInterval(sweep);
      clearTimeout(cutOff);
    }
  }
}

/** Health (/health/live, /health/ready), metrics (/metrics), structured logs and the graceful stop. */
@Module({})
export class OpsModule {
  static forRoot(options: OpsModuleOptions): DynamicModule {
    const { metrics, logger, ...opsOptions } = options;
    return {
      module: OpsModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        // Nest's logger through pino; the request lines come from one Fastify hook (ops/http-observer.ts), not pino-http's middleware
        ...(logger ? [LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] })] : []),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: OpsMetrics, useValue: metrics },
        { provide: OPS_OPTIONS, useValue: opsOptions },
        DrainHttpFirst,
      ],
    };
  }
}
