import { Module } from '@nestjs/common';
import { ErrorWriters } from '../../http/errors.filter';
import { SallaLoyaltyPointsController } from './loyalty-points.controller';
import { sallaErrorWriter } from './salla-errors';

/** Salla's merchant API for loyalty points: `POST /admin/v2/customers/loyalty/points`, store from the client's default. */
@Module({ controllers: [SallaLoyaltyPointsController] })
export class SallaModule {
  constructor(writers: ErrorWriters) {
    writers.register(sallaErrorWriter);
  }
}
