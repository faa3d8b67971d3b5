import { Module } from '@nestjs/common';
import { ErrorWriters } from '../http/errors.filter';
import { dottedField } from '../http/problem';
import { EventsController } from './events.controller';
import { WebhooksController } from './webhooks.controller';

/** How systems outside the engine follow its public events: polling, SSE and webhooks. */
@Module({ controllers: [EventsController, WebhooksController] })
export class SubscribersModule {
  constructor(writers: ErrorWriters) {
    // the engine's own JSON routes: a stable code, a message and one message per field
    writers.register({
      dialect: 'subscribers',
      prefixes: ['/api/events', '/api/webhooks'],
      write: (problem) => ({
        status: problem.status,
        body: {
          code: problem.code,
          message: problem.message,
          ...(problem.fields?.length && { fields: problem.fields.map((field) => ({ field: dottedField(field), message: field.message })) }),
          ...(problem.details && { details: problem.details }),
        },
      }),
    });
  }
}
