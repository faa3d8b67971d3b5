import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CurrentStore, Principal, RequireScopes, TENANT_DIRECTORY } from '@app/auth';
import type { StoreRecord, TenantDirectory } from '@app/auth';
import { INFRASTRUCTURE, PointsQueries } from '@app/engine';
import type { AccountEntry, Infrastructure } from '@app/engine';
import { toDecimal } from '@app/ledger';
import { CustomerIdParam } from '../dialects/open-loyalty/params.dto';
import { LAG_COUNT_LIMIT } from '../ops/metrics';
import { projectionLag } from '../ops/projection-lag';

export class OperatorStore {
  @ApiProperty() storeCode!: string;
  @ApiProperty({ description: 'ISO 4217' }) currency!: string;
}

export class OperatorStoresResponse {
  @ApiProperty({ type: [OperatorStore] }) stores!: OperatorStore[];
  @ApiPropertyOptional({ nullable: true, description: "the client's default store" }) defaultStore!: string | null;
}

export class ProjectionState {
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'global position of the last event applied' }) checkpoint!: number;
  @ApiProperty({ description: 'global position of the newest stored event' }) head!: number;
  @ApiProperty({ description: `events not applied yet, counted up to ${LAG_COUNT_LIMIT}` }) lagEvents!: number;
  @ApiProperty({ description: 'age of the oldest event not applied yet; 0 when caught up' }) lagSeconds!: number;
  @ApiPropertyOptional({ nullable: true }) lastUpdateAt!: string | null;
  @ApiProperty({ description: 'whether this process runs the projection (the projector worker does in the distributed profile)' }) running!: boolean;
  @ApiProperty({ description: "whether this process's last batch for it failed (the error itself stays in the log)" }) failing!: boolean;
}

export class ProjectionsResponse {
  @ApiProperty({ type: [ProjectionState] }) projections!: ProjectionState[];
}

export class AccountHistoryEntry {
  @ApiProperty() transferId!: string;
  @ApiProperty({ enum: ['added', 'activated', 'spent', 'blocked', 'expired', 'cancelled'] }) kind!: string;
  @ApiPropertyOptional() transferType?: string;
  @ApiProperty() points!: number;
  @ApiProperty({ description: 'business time of the change' }) at!: string;
  @ApiProperty({ description: 'ledger order' }) position!: number;
  @ApiPropertyOptional() expiresAt?: string;
  @ApiPropertyOptional() referenceId?: string;
  @ApiPropertyOptional() comment?: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional() customerReason?: string;
  @ApiProperty({ description: 'the balance after the change' }) balance!: { available: number; pending: number; blocked: number; earned: number; spent: number; expired: number };
  @ApiPropertyOptional({ description: 'added entries: what has become of the lot since' }) lot?: { remaining: number; used: number; usedWith: string[]; state: string };
}

export class AccountHistoryResponse {
  @ApiProperty() customerId!: string;
  @ApiProperty({ type: [AccountHistoryEntry] }) entries!: AccountHistoryEntry[];
}

function historyEntryView(entry: AccountEntry): AccountHistoryEntry {
  const { balance, lot, points, ...rest } = entry;
  return {
    ...rest,
    points: toDecimal(points),
    balance: {
      available: toDecimal(balance.available),
      pending: toDecimal(balance.pending),
      blocked: toDecimal(balance.blocked),
      earned: toDecimal(balance.earned),
      spent: toDecimal(balance.spent),
      expired: toDecimal(balance.expired),
    },
    ...(lot ? { lot: { remaining: toDecimal(lot.remaining), used: toDecimal(lot.used), usedWith: lot.usedWith, state: lot.state } } : {}),
  };
}

/** What the operator dashboard reads besides the Open Loyalty routes: the caller's stores, projection status, an account's history. */
@ApiTags('Operations')
@ApiBearerAuth()
@Controller('api')
export class OperatorController {
  constructor(
    @Inject(TENANT_DIRECTORY) private readonly directory: TenantDirectory,
    @Inject(INFRASTRUCTURE) private readonly infrastructure: Infrastructure,
    private readonly queries: PointsQueries,
  ) {}

  @Get('ops/stores')
  @RequireScopes('points:read')
  @ApiOperation({ summary: "The stores of the caller's tenant, and the client's default store" })
  @ApiOkResponse({ type: OperatorStoresResponse })
  async stores(@Principal() principal: Principal): Promise<OperatorStoresResponse> {
    const stores = await this.directory.listStores(principal.tenant);
    return {
      stores: stores.map(({ storeCode, currency }) => ({ storeCode, currency })).sort((a, b) => a.storeCode.localeCompare(b.storeCode)),
      defaultStore: principal.defaultStore ?? null,
    };
  }

  @Get('ops/projections')
  @RequireScopes('points:read')
  @ApiOperation({ summary: 'Each projection: checkpoint, head of the event log, lag in events and seconds, whether it runs here' })
  @ApiOkResponse({ type: ProjectionsResponse })
  async projections(): Promise<ProjectionsResponse> {
    const [states, lags] = await Promise.all([this.infrastructure.runner.status(), projectionLag(this.infrastructure, LAG_COUNT_LIMIT)]);
    const secondsBehind = new Map(lags.map((lag) => [lag.projection, lag.seconds]));
    return {
      projections: states.map((state) => ({
        name: state.name,
        checkpoint: state.checkpoint,
        head: state.head,
        lagEvents: state.lag,
        lagSeconds: Math.round(secondsBehind.get(state.name) ?? 0),
        lastUpdateAt: state.lastUpdateAt ?? null,
        running: state.running,
        failing: state.lastError !== null,
      })),
    };
  }

  @Get(':storeCode/accounts/:customerId/history')
  @RequireScopes('points:read')
  @ApiOperation({ summary: "An account's changes in ledger order, each with the balance after it (from its event stream)" })
  @ApiOkResponse({ type: AccountHistoryResponse })
  async history(@CurrentStore() store: StoreRecord, @Param() params: CustomerIdParam): Promise<AccountHistoryResponse> {
    const entries = await this.queries.history({ tenant: store.tenant, storeCode: store.storeCode, customerId: params.customerId });
    return { customerId: params.customerId, entries: entries.map(historyEntryView) };
  }
}
