import { Module } from '@nestjs/common';
import { CustomerPointsController } from './customer-points.controller';
import { CustomersController } from './customers.controller';
import { MultipartRegistration, PointsImportController } from './points-import.controller';
import { PointsImportService } from './points-import.service';
import { PointsTransfersController } from './points-transfers.controller';
import { StoreSettingsController } from './store-settings.controller';
import { TransferQueriesController } from './transfer-queries.controller';

/** The primary API dialect: Open Loyalty's points transfers, customers, summaries, histogram and XML import. */
@Module({
  controllers: [
    PointsTransfersController,
    TransferQueriesController,
    PointsImportController,
    CustomersController,
    CustomerPointsController,
    StoreSettingsController,
  ],
  providers: [PointsImportService, MultipartRegistration],
})
export class OpenLoyaltyModule {}
