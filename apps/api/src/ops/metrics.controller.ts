import { PublicRoute } from '@app/auth';
import { Controller, Get, Headers, Inject, Res, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { OpsMetrics } from './metrics';
import { OPS_OPTIONS, OpsOptions } from './ops.options';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Prometheus scrape endpoint; behind a bearer token when LOYALTY_METRICS_TOKEN is set. */
@ApiExcludeController()
@PublicRoute('Prometheus scrapes it; LOYALTY_METRICS_TOKEN puts it behind its own bearer token; labels hold no customer data')
@Controller('metrics')
export class MetricsController {
  private readonly expected?: Buffer;

  constructor(
    private readonly metrics: OpsMetrics,
    @Inject(OPS_OPTIONS) options: OpsOptions,
  ) {
    this.expected = options.metricsToken ? digest(options.metricsToken) : undefined;
  }

  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (this.expected) {
      const presented = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
      // compared as digests: equal lengths, and the comparison takes the same time whatever matches
      if (!presented || !timingSafeEqual(digest(presented), this.expected)) {
        throw new UnauthorizedException('a valid metrics bearer token is required');
      }
    }
    void reply.header('content-type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
