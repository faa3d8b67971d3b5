import { DynamicModule, Global, Inject, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Clock, systemClock } from '@app/ledger';
import type { EngineConfig } from './config';
import { CustomerRegistry, CustomerResolver, Customers } from './customers';
import { IdempotencyGuard } from './idempotency';
import { KnownCustomers } from './known-customers';
import type { Infrastructure } from './infrastructure';
import { ExecuteOnPointsAccountHandler } from './points/execute-on-account';
import { P2PProcessManager } from './points/p2p-process-manager';
import { PointsService } from './points/points.service';
import { BulkPoints } from './points/bulk-points';
import { PointsQueries } from './queries/points-queries';
import { CustomerNotifications, EmailNotificationDelivery } from './notifications';
import { ProgressTracker } from './progress-tracker';
import { Scheduler } from './scheduler';
import { SchedulerLeadership } from './scheduler-leadership';
import { StoreSettingsService } from './store-settings.service';
import { ENGINE_TELEMETRY, EngineTelemetry, noTelemetry } from './telemetry';
import { PublicEventFeed } from './subscribers/public-event-feed';
import { openSubscriberStore } from './subscribers/open-subscriber-store';
import { SUBSCRIBER_STORE, WebhookDispatcher } from './subscribers/webhook-dispatcher';
import { WebhooksService } from './subscribers/webhooks.service';
import { CLOCK, ENGINE_CONFIG, EVENT_STORE, LEASE_STORE, PROJECTION_PROGRESS, ProjectionProgress, READ_MODELS } from './tokens';

export const INFRASTRUCTURE = Symbol.for('Infrastructure');

export interface EngineModuleOptions {
  config: EngineConfig;
  infrastructure: Infrastructure;
  clock?: Clock;
  /** where command, append, scheduler and import figures go (the API's metrics); none by default */
  telemetry?: EngineTelemetry;
}

/**
 * The one place that decides what runs in this process besides requests (config: LOYALTY_RUN_PROJECTOR,
 * LOYALTY_RUN_CONSUMERS, LOYALTY_RUN_SCHEDULER): projections, consumers (the p2p process manager) and
 * the scheduler, which waits for its lease. It stops them in reverse order and closes the stores on shutdown.
 */
export class EngineLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private closing = false;

  constructor(
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
    @Inject(INFRASTRUCTURE) private readonly infrastructure: Infrastructure,
    private readonly scheduler: SchedulerLeadership,
    private readonly p2p: P2PProcessManager,
    private readonly email: EmailNotificationDelivery,
    private readonly webhooks: WebhookDispatcher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.runProjector) await this.infrastructure.runner.start();
    if (this.config.runScheduler) this.scheduler.start();
    if (this.config.runConsumers) this.startConsumers();
    // e-mail goes out from the process that runs the workers (the projector app in the distributed profile)
    if (this.config.runProjector) this.email.start(this.config.schedulerIntervalMs);
  }

  /**
   * The checkpointed consumers: the p2p process manager and the webhook dispatcher. Each must run in
   * one process only (a second copy would double their work and break per-account delivery order).
   */
  private startConsumers(): void {
    // consumers send commands at once, and CqrsModule registers its handlers in this same hook
    setImmediate(() => {
      if (this.closing) return;
      this.p2p.start(this.config.schedulerIntervalMs);
      this.webhooks.start({ tickMs: this.config.webhookTickMs, timeoutMs: this.config.webhookTimeoutMs });
    });
  }

  /** What this process runs, for its start-up line. */
  describe(): string {
    const running = [
      this.config.runProjector && `projections (${this.infrastructure.runner.list().join(', ')}) and e-mail notifications`,
      this.config.runConsumers && 'consumers (p2p-process-manager, webhooks)',
      this.config.runScheduler && 'scheduler (when it holds the lease)',
    ].filter(Boolean);
    return running.length ? running.join(', ') : 'no background work';
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    // a pass under way finishes its account commands before the lease is given back and the stores close
    await this.scheduler.stop();
    await this.webhooks.stop();
    await this.p2p.stop();
    await this.email.stop();
    await this.infrastructure.close();
  }
}

@Global()
@Module({})
export class EngineModule {
  static forRoot(options: EngineModuleOptions): DynamicModule {
    const { config, infrastructure } = options;
    const progress: ProjectionProgress = {
      waitFor: (position, timeoutMs) => infrastructure.runner.waitFor(position, { timeoutMs }),
    };
    return {
      module: EngineModule,
      imports: [CqrsModule.forRoot()],
      providers: [
        { provide: ENGINE_CONFIG, useValue: config },
        { provide: INFRASTRUCTURE, useValue: infrastructure },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        { provide: ENGINE_TELEMETRY, useValue: options.telemetry ?? noTelemetry },
        { provide: EVENT_STORE, useValue: infrastructure.eventStore },
        { provide: READ_MODELS, useValue: infrastructure.readModels },
        { provide: PROJECTION_PROGRESS, useValue: progress },
        { provide: SUBSCRIBER_STORE, useFactory: () => openSubscriberStore(infrastructure) },
        PublicEventFeed,
        WebhookDispatcher,
        WebhooksService,
        { provide: LEASE_STORE, useValue: infrastructure.leases },
        {
          provide: IdempotencyGuard,
          useFactory: (clock: Clock) => new IdempotencyGuard(infrastructure.eventStore, clock),
          inject: [CLOCK],
        },
        ProgressTracker,
        KnownCustomers,
        StoreSettingsService,
        ExecuteOnPointsAccountHandler,
        PointsService,
        PointsQueries,
        BulkPoints,
        CustomerRegistry,
        Customers,
        CustomerResolver,
        Scheduler,
        SchedulerLeadership,
        P2PProcessManager,
        CustomerNotifications,
        EmailNotificationDelivery,
        EngineLifecycle,
      ],
      exports: [
        ENGINE_CONFIG,
        INFRASTRUCTURE,
        CLOCK,
        ENGINE_TELEMETRY,
        EVENT_STORE,
        READ_MODELS,
        PROJECTION_PROGRESS,
        SUBSCRIBER_STORE,
        PublicEventFeed,
        WebhookDispatcher,
        WebhooksService,
        IdempotencyGuard,
        ProgressTracker,
        KnownCustomers,
        StoreSettingsService,
        PointsService,
        PointsQueries,
        BulkPoints,
        CustomerRegistry,
        Customers,
        CustomerResolver,
        Scheduler,
        SchedulerLeadership,
        P2PProcessManager,
        CustomerNotifications,
        EmailNotificationDelivery,
        EngineLifecycle,
      ],
    };
  }
}
