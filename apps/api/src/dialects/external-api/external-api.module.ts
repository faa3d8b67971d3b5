import { Module } from '@nestjs/common';
import { ErrorWriters } from '../../http/errors.filter';
import { ChangePointsController } from './change-points.controller';
import { externalApiErrorWriter } from './envelope';

/** The External API dialect: change a customer's points once per ChangeKey, every answer in its envelope. */
@Module({ controllers: [ChangePointsController] })
export class ExternalApiModule {
  constructor(writers: ErrorWriters) {
    writers.register(externalApiErrorWriter);
  }
}
