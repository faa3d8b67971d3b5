import { PublicRoute } from '@app/auth';
import { Controller, Get, HttpCode, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { INFRASTRUCTURE, Infrastructure } from '@app/engine';
import { OPS_OPTIONS, OpsOptions } from './ops.options';
import { projectionLag } from './projection-lag';

/** how long a store may take to answer a probe before it counts as down */
const PROBE_TIMEOUT_MS = 2_000;

function withinTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), PROBE_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The stores' and projections' health for load balancers and orchestrators. The answers carry a
 * status per check and nothing else: no positions, counts, hosts or error messages.
 */
export class ReadinessChecks {
  constructor(
    private readonly infrastructure: Infrastructure,
    private readonly indicators: HealthIndicatorService,
    private readonly maxLag: number,
  ) {}

  async eventStore(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('eventStore');
    try {
      await withinTimeout(this.infrastructure.eventStore.headPosition());
      return check.up();
    } catch {
      return check.down();
    }
  }

  /** SQLite answers a query; MongoDB a ping (the read store of the distributed profile) */
  async readStore(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('readStore');
    try {
      const { sqlite, mongo } = this.infrastructure;
      if (mongo) await withinTimeout(mongo.command({ ping: 1 }));
      else if (sqlite) sqlite.prepare('SELECT 1').get();
      await withinTimeout(this.infrastructure.projectionStore.checkpoints(this.infrastructure.runner.list()));
      return check.up();
    } catch {
      return check.down();
    }
  }

  /** every projection within `maxLag` events of the log's head */
  async projections(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('projections');
    try {
      const lags = await withinTimeout(projectionLag(this.infrastructure, this.maxLag + 1));
      return lags.every((lag) => lag.events <= this.maxLag) ? check.up() : check.down();
    } catch {
      return check.down();
    }
  }
}

@ApiExcludeController()
@PublicRoute('probes of load balancers and orchestrators: a status per check, no data')
@Controller('health')
export class HealthController {
  private readonly checks: ReadinessChecks;

  constructor(
    private readonly health: HealthCheckService,
    indicators: HealthIndicatorService,
    @Inject(INFRASTRUCTURE) infrastructure: Infrastructure,
    @Inject(OPS_OPTIONS) options: OpsOptions,
  ) {
    this.checks = new ReadinessChecks(infrastructure, indicators, options.readyMaxLag);
  }

  /** the process answers: nothing else is checked, so a slow store never gets it restarted */
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when the event store and the read store answer and every projection is within the lag threshold; 503 otherwise */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.checks.eventStore(), () => this.checks.readStore(), () => this.checks.projections()]);
    } catch (error) {
      // Terminus throws the same result as a 503; answered here so the API's error body does not reshape it
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
