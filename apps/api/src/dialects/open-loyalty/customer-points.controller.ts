import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CurrentStore, CustomerAccess, RequireScopes } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { PointsQueries } from '@app/engine';
import { toDecimal } from '@app/ledger';
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
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) lastChangeAt!: string | null;
}

@ApiTags('Open Loyalty: customers')
@ApiBearerAuth()
@Controller('api/:storeCode/customers')
export class CustomerPointsController {
  constructor(private readonly queries: PointsQueries) {}

  @Get(':customerId/points')
  @RequireScopes('points:read')
  @CustomerAccess('allow')
  @ApiOperation({ summary: "A customer's points summary in this store" })
  @ApiOkResponse({ type: PointsSummaryResponse })
  async summary(@CurrentStore() record: StoreRecord, @Param() params: CustomerIdParam): Promise<PointsSummaryResponse> {
    const account = await this.queries.summary({ tenant: record.tenant, storeCode: record.storeCode, customerId: params.customerId });
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
      expiringIn30Days: toDecimal(account.expiringIn30Days),
      lastChangeAt: account.lastChangeAt,
    };
  }
}
