import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CurrentStore, CustomerAccess, RequireScopes } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { CLOCK, ProgressTracker, READ_MODELS } from '@app/engine';
import { Clock, DAY_MS, LedgerError, toDecimal } from '@app/ledger';
import type { ReadModelQueries } from '@app/read-models';
import { CustomerIdParam } from './params.dto';

export class PointsSummaryResponse {
  @ApiProperty() customerId!: string;
  @ApiProperty({ description: 'spendable now (active lots less blocked points)' }) active!: number;
  @ApiProperty() pending!: number;
  @ApiProperty() blocked!: number;
  @ApiProperty() earned!: number;
  @ApiProperty() spent!: number;
  @ApiProperty() expired!: number;
  @ApiProperty() p2pIn!: number;
  @ApiProperty() p2pOut!: number;
  @ApiProperty({ description: 'active points that expire within the next 30 days' }) expiringIn30Days!: number;
  @ApiPropertyOptional({ nullable: true }) lastChangeAt!: string | null;
}

@ApiTags('Open Loyalty: customers')
@ApiBearerAuth()
@Controller('api/:storeCode/customers')
export class CustomerPointsController {
  constructor(
    private readonly progress: ProgressTracker,
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(':customerId/points')
  @RequireScopes('points:read')
  @CustomerAccess('allow')
  @ApiOperation({ summary: "A customer's points summary in this store" })
  @ApiOkResponse({ type: PointsSummaryResponse })
  async summary(@CurrentStore() record: StoreRecord, @Param() params: CustomerIdParam): Promise<PointsSummaryResponse> {
    // read-your-writes: a client that just changed points sees the change
    await this.progress.caughtUp();
    const { tenant, storeCode } = record;
    const account = await this.views.accounts.account(tenant, storeCode, params.customerId);
    if (!account) throw new LedgerError('account_not_found', `customer ${params.customerId} has no points account in store ${storeCode}`);
    const now = this.clock.now();
    const expiring = await this.views.lots.expiringBetween(tenant, storeCode, params.customerId, now.toISOString(), new Date(now.getTime() + 30 * DAY_MS).toISOString());
    return {
      customerId: account.customerId,
      active: toDecimal(account.available),
      pending: toDecimal(account.pending),
      blocked: toDecimal(account.blocked),
      earned: toDecimal(account.earned),
      spent: toDecimal(account.spent),
      expired: toDecimal(account.expired),
      p2pIn: toDecimal(account.p2pIn),
      p2pOut: toDecimal(account.p2pOut),
      expiringIn30Days: toDecimal(expiring),
      lastChangeAt: account.lastChangeAt,
    };
  }
}
