import { Module } from '@nestjs/common';
import { CustomerPointsController } from './customer-points.controller';
import { PointsTransfersController } from './points-transfers.controller';
import { StoreSettingsController } from './store-settings.controller';

/** The primary API dialect: Open Loyalty's points transfers, customers and summaries. */
@Module({
  controllers: [PointsTransfersController, CustomerPointsController, StoreSettingsController],
})
export class OpenLoyaltyModule {}
