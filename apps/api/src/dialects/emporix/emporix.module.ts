import { Inject, Module } from '@nestjs/common';
import { CLOCK } from '@app/engine';
import type { Clock } from '@app/ledger';
import { ErrorWriters } from '../../http/errors.filter';
import { emporixErrorWriter } from './emporix-errors';
import { RewardPointsController } from './reward-points.controller';

/** The Emporix Reward Points Service dialect: `/reward-points/...`, its errors in Emporix's documented shapes. */
@Module({ controllers: [RewardPointsController] })
export class EmporixModule {
  constructor(writers: ErrorWriters, @Inject(CLOCK) clock: Clock) {
    writers.register(emporixErrorWriter(clock));
  }
}
