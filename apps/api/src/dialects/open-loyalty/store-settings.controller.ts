import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentStore, RequireScopes } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { StoreSettingsService } from '@app/engine';
import { LedgerError, MAX_SETTINGS_DAYS, storeSettingsErrors, StoreSettings } from '@app/ledger';
import { RequestValidationError } from '../../http/validation';
import { IdempotentCommands } from '../../http/command-context';

const DAYS = (minimum: number) => ({ type: 'integer', minimum, maximum: MAX_SETTINGS_DAYS });
/** What storeSettingsErrors (libs/ledger settings.ts) accepts, field for field. */
const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    expiry: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['policy', 'days'], properties: { policy: { type: 'string', enum: ['after_days'] }, days: DAYS(1) } },
        // the other policies take no days; a days field given with them is ignored
        { type: 'object', additionalProperties: false, required: ['policy'], properties: { policy: { type: 'string', enum: ['never', 'end_of_month', 'end_of_year'] }, days: {} } },
      ],
    },
    pendingDays: DAYS(0),
    p2pAllowed: { type: 'boolean' },
    openAccountOnFirstAdd: { type: 'boolean' },
  },
};

/** Per-store points policy: expiry, pending days, p2p, opening accounts on first credit. */
@ApiTags('Store settings')
@ApiBearerAuth()
@IdempotentCommands()
@Controller('api/:storeCode/settings')
export class StoreSettingsController {
  constructor(private readonly settings: StoreSettingsService) {}

  @Get()
  @RequireScopes('settings:write')
  @ApiOperation({ summary: "The store's points settings" })
  get(@CurrentStore() record: StoreRecord): Promise<StoreSettings> {
    return this.settings.get(record.tenant, record.storeCode);
  }

  @Put()
  @RequireScopes('settings:write')
  @ApiOperation({ summary: 'Change some or all settings; fields left out keep their value' })
  @ApiBody({ schema: SETTINGS_SCHEMA })
  async put(@CurrentStore() record: StoreRecord, @Body() body: unknown): Promise<StoreSettings> {
    const errors = storeSettingsErrors(body);
    if (errors.length) {
      throw new RequestValidationError(errors.map((message) => ({ field: message.split(' ')[0], message })));
    }
    try {
      return await this.settings.change(record.tenant, record.storeCode, body);
    } catch (error) {
      if (error instanceof LedgerError && error.code === 'invalid_settings') throw new RequestValidationError([{ field: 'settings', message: error.message }]);
      throw error;
    }
  }
}
