import { Module } from '@nestjs/common';
import { OperatorController } from './operator.controller';

/** The JSON routes the operator dashboard reads besides the Open Loyalty ones; the page itself is static (serve-dashboard.ts). */
@Module({ controllers: [OperatorController] })
export class DashboardModule {}
