import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ApiErrorFilter, ErrorWriters } from './errors.filter';

/**
 * The dialect kit every vendor API module stands on: where a route's store and idempotency key come
 * from (decorators: StoreFrom, IdempotentCommands) and how its errors are written (ErrorWriters).
 */
@Global()
@Module({
  providers: [ErrorWriters, { provide: APP_FILTER, useClass: ApiErrorFilter }],
  exports: [ErrorWriters],
})
export class HttpKitModule {}
