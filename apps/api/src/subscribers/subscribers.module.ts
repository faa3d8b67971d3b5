import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { WebhooksController } from './webhooks.controller';

/** How systems outside the engine follow its public events: polling, SSE and webhooks. */
@Module({ controllers: [EventsController, WebhooksController] })
export class SubscribersModule {}
