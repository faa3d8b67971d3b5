import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { CurrentStore, CustomerAccess, Principal, RequireScopes } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { CLOCK, ProgressTracker, READ_MODELS } from '@app/engine';
import { Clock, DAY_MS, toDecimal } from '@app/ledger';
import { rollUpHistogram } from '@app/read-models';
import type { HistogramInterval, HistogramPointType, ReadModelQueries, TransferListQuery } from '@app/read-models';
import { RequestValidationError } from '../../http/validation';
import { CustomerTransferListQuery, toTransferView, TransferListQueryDto, TransferListResponse, windowError } from './transfer-listing.dto';

const INTERVALS = ['day', 'month', 'year'] as const;
const POINT_TYPES = ['earned', 'spent', 'expired', 'pending'] as const;
const MAX_DAYS = 3660;

export class HistogramQuery {
  @ApiPropertyOptional({ enum: INTERVALS, default: 'day' })
  @IsOptional()
  @IsIn(INTERVALS, { message: `must be one of: ${INTERVALS.join(', ')}` })
  interval?: HistogramInterval;

  @ApiPropertyOptional({ description: 'Days up to and including today', default: 30, minimum: 1, maximum: MAX_DAYS })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'must be a whole number of days' })
  @Min(1, { message: 'must be at least 1' })
  @Max(MAX_DAYS, { message: `must be at most ${MAX_DAYS}` })
  lastDays?: number;

  @ApiPropertyOptional({ description: 'Days after today: scheduled expiries (expired) and activations (pending)', default: 0, minimum: 0, maximum: MAX_DAYS })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'must be a whole number of days' })
  @Min(0, { message: 'must be at least 0' })
  @Max(MAX_DAYS, { message: `must be at most ${MAX_DAYS}` })
  futureDays?: number;

  @ApiPropertyOptional({ enum: POINT_TYPES, default: 'earned' })
  @IsOptional()
  @IsIn(POINT_TYPES, { message: `must be one of: ${POINT_TYPES.join(', ')}` })
  pointType?: HistogramPointType;
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Open Loyalty's read side over points transfers: the listings and the histogram. */
@ApiTags('Open Loyalty: points transfers')
@ApiBearerAuth()
@Controller('api/:storeCode')
export class TransferQueriesController {
  constructor(
    private readonly progress: ProgressTracker,
    @Inject(READ_MODELS) private readonly views: ReadModelQueries,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('points/transfer')
  @RequireScopes('points:read')
  @ApiOperation({ summary: 'List points transfers (at most the first 10,000 results can be paged through)' })
  @ApiOkResponse({ type: TransferListResponse })
  async list(@CurrentStore() store: StoreRecord, @Query() query: TransferListQueryDto): Promise<TransferListResponse> {
    const { customerFirstName, customerLastName, customerPhone, customerEmail, customerId } = query;
    return this.page(store, query, { customerFirstName, customerLastName, customerPhone, customerEmail, customerId });
  }

  @Get('customer/points/transfer')
  @RequireScopes('points:read')
  @CustomerAccess('only')
  @ApiOperation({ summary: "The logged-in customer's points transfers" })
  @ApiOkResponse({ type: TransferListResponse })
  async customerList(@CurrentStore() store: StoreRecord, @Principal() principal: Principal, @Query() query: CustomerTransferListQuery): Promise<TransferListResponse> {
    return this.page(store, query, { customerId: principal.customerId as string });
  }

  @Get('points/transfers')
  @RequireScopes('points:read')
  @ApiOperation({ summary: 'Points histogram: earned, spent, expired or pending points per day, month or year' })
  @ApiOkResponse({ description: 'period -> points', schema: { type: 'object', additionalProperties: { type: 'number' }, example: { '2018-01-08': 0, '2018-01-09': 5 } } })
  async histogram(@CurrentStore() store: StoreRecord, @Query() query: HistogramQuery): Promise<Record<string, number>> {
    const { interval = 'day', lastDays = 30, futureDays = 0, pointType = 'earned' } = query;
    await this.progress.caughtUp();
    const now = this.clock.now().getTime();
    const today = utcDay(now);
    const fromDay = utcDay(now - (lastDays - 1) * DAY_MS);
    const toDay = utcDay(now + futureDays * DAY_MS);
    const days = await this.views.histogram.days(store.tenant, store.storeCode, pointType, fromDay, today);
    if (futureDays > 0 && (pointType === 'expired' || pointType === 'pending')) {
      const kind = pointType === 'expired' ? 'expiry' : 'activation';
      const scheduled = await this.views.lots.scheduledPerDay(store.tenant, store.storeCode, kind, utcDay(now + DAY_MS), toDay);
      for (const [day, points] of Object.entries(scheduled)) days[day] = (days[day] ?? 0) + points;
    }
    const rolled = rollUpHistogram(days, interval, fromDay, toDay);
    return Object.fromEntries(Object.entries(rolled).map(([period, points]) => [period, toDecimal(points)]));
  }

  private async page(store: StoreRecord, query: CustomerTransferListQuery, filters: Partial<TransferListQuery>): Promise<TransferListResponse> {
    const outside = windowError(query.page, query.perPage);
    if (outside) throw new RequestValidationError([{ field: 'page', message: outside }]);
    await this.progress.caughtUp();
    const definedFilters = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined));
    const { rows, total } = await this.views.transfers.list({
      tenant: store.tenant,
      storeCode: store.storeCode,
      ...definedFilters,
      ...(query.state ? { states: query.state } : {}),
      ...(query.type ? { type: query.type } : {}),
      sort: query.sort,
      direction: query.direction,
      page: query.page,
      perPage: query.perPage,
    });
    return { transfers: rows.map((row) => toTransferView(row, store)), total };
  }
}
