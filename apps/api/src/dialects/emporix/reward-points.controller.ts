import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentStore, NamedStore, Principal, RequireScopes, StoreFrom } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { AccountCursor, CustomerResolver, PointsQueries, PointsService } from '@app/engine';
import { AccountKey, isLedgerError, LedgerError, parsePoints, toDecimal } from '@app/ledger';
import { IdempotentCommands, keyFromBody } from '../../http/command-context';
import { RequestValidationError } from '../../http/validation';
import { customerAccount } from './customer-account';
import { AddPointsIn, NewCustomerIn, PointsSummaryOut, RedeemPointsIn, SUMMARY_PAGE_SIZE, SummaryBatchQuery } from './reward-points.dto';
import { activePointsOf, summaryOf } from './reward-points.mapper';

const CUSTOMER_ID = { name: 'customerId', description: "The customer's id (1-128 letters, digits or . _ @ + -)" };
const SITE_CODE = { name: 'siteCode', required: false, description: 'Site code: the store within the tenant of the token', schema: { type: 'string', default: 'main' } };
const EMPLOYEES_ONLY = 'Only employees: integration clients with the scope; customer tokens get 403.';

/** An opaque summaryBatch cursor: the last account of a page, base64url-encoded. */
function pageTokenOf(cursor: AccountCursor): string {
  return Buffer.from(JSON.stringify([cursor.storeCode, cursor.customerId])).toString('base64url');
}

function cursorOf(token: string): AccountCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === 'string')) {
      return { storeCode: parsed[0] as string, customerId: parsed[1] as string };
    }
  } catch {
    // not JSON: refused below
  }
  throw new RequestValidationError([{ field: 'pageToken', message: 'must be the pageToken of a previous page', path: ['pageToken'] }]);
}

/**
 * The Emporix Reward Points Service (`/reward-points/...`): the tenant comes from the token, the store
 * from `siteCode` (default `main`), and a body's `id` makes addPoints and redeemPoints run once.
 */
@ApiTags('Emporix: reward points')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'no valid token: `{fault: {faultstring, detail: {errorcode}}}`' })
@ApiForbiddenResponse({ description: 'scope missing or a customer token: `{code: 403, status: "Forbidden", message, details}`' })
@IdempotentCommands({ key: keyFromBody('id') })
@StoreFrom({ from: 'query', name: 'siteCode', fallback: 'main' })
@Controller('reward-points')
export class RewardPointsController {
  constructor(
    private readonly points: PointsService,
    private readonly queries: PointsQueries,
    private readonly customers: CustomerResolver,
  ) {}

  @Get('summaryBatch')
  @StoreFrom({ from: 'query', name: 'siteCode' })
  @RequireScopes('points:read')
  @ApiOperation({
    summary: 'Retrieving reward points of all customers',
    description:
      `Every customer with an open account in the tenant (or in one site with \`siteCode\`), in pages: \`pageSize\` (default ${SUMMARY_PAGE_SIZE}) ` +
      'customers per page; when more follow, the `Link` header (`rel="next"`) and `X-Next-Page-Token` give the next page (pass it as `pageToken`). ' +
      EMPLOYEES_ONLY,
  })
  @ApiOkResponse({ type: [PointsSummaryOut] })
  @ApiNotFoundResponse({ description: 'siteCode names no site of the tenant' })
  async summaryBatch(
    @Principal() principal: Principal,
    @NamedStore() store: StoreRecord | undefined,
    @Query() query: SummaryBatchQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PointsSummaryOut[]> {
    const { pageToken } = query;
    const pageSize = query.pageSize ?? SUMMARY_PAGE_SIZE;
    const accounts = await this.queries.summaries({
      tenant: principal.tenant,
      ...(store ? { storeCode: store.storeCode } : {}),
      ...(pageToken ? { after: cursorOf(pageToken) } : {}),
      limit: pageSize + 1,
    });
    const page = accounts.slice(0, pageSize);
    if (accounts.length > pageSize) {
      const last = page[page.length - 1];
      const next = pageTokenOf({ storeCode: last.storeCode, customerId: last.customerId });
      const site = store ? `&siteCode=${encodeURIComponent(store.storeCode)}` : '';
      void reply.header('X-Next-Page-Token', next);
      void reply.header('Link', `</reward-points/summaryBatch?pageSize=${pageSize}&pageToken=${next}${site}>; rel="next"`);
    }
    const summaries: PointsSummaryOut[] = [];
    for (const account of page) {
      const key: AccountKey = { tenant: principal.tenant, storeCode: account.storeCode, customerId: account.customerId };
      summaries.push(summaryOf(account.customerId, await this.queries.history(key), account.storeCode));
    }
    return summaries;
  }

  @Get('customer/:customerId')
  @RequireScopes('points:read')
  @ApiOperation({ summary: 'Retrieving reward points of a customer', description: `The points the customer can redeem now, a bare integer (0 without an open account). ${EMPLOYEES_ONLY}` })
  @ApiParam(CUSTOMER_ID)
  @ApiQuery(SITE_CODE)
  @ApiOkResponse({ schema: { type: 'number', example: 2000 } })
  @ApiBadRequestResponse({ description: 'malformed customerId' })
  async balance(@CurrentStore() store: StoreRecord, @Param('customerId') customerId: string): Promise<number> {
    const account = await customerAccount(this.customers, store, customerId);
    try {
      return toDecimal((await this.queries.summary(account)).available);
    } catch (error) {
      if (isLedgerError(error, 'account_not_found')) return 0;
      throw error;
    }
  }

  @Post('customer/:customerId')
  @HttpCode(200)
  @RequireScopes('points:write')
  @ApiOperation({
    summary: 'Creating a new reward points entry for a customer',
    description: "Opens the customer's account in the site (at 0; `startPoints` are credited when this opens it). Opening an open account changes nothing; a deleted one opens again at 0.",
  })
  @ApiParam(CUSTOMER_ID)
  @ApiQuery(SITE_CODE)
  @ApiOkResponse({ description: 'opened, or open already (no content)' })
  @ApiBadRequestResponse({ description: 'malformed customerId, or a body customerId other than the path\'s' })
  async open(@CurrentStore() store: StoreRecord, @Param('customerId') customerId: string, @Body() body: NewCustomerIn): Promise<void> {
    const account = await customerAccount(this.customers, store, customerId);
    if (body.customerId !== undefined && body.customerId !== account.customerId) {
      throw new RequestValidationError([{ field: 'customerId', message: "must be the path's customer id", path: ['customerId'] }]);
    }
    const { opened } = await this.points.openAccount(account);
    if (opened && body.startPoints) await this.credit(account, body.startPoints);
  }

  @Delete('customer/:customerId')
  @RequireScopes('points:write')
  @ApiOperation({
    summary: 'Deleting reward points of a customer',
    description: 'Closes the account: its history is kept, it leaves the summaries and takes no more points until it is created again (at 0).',
  })
  @ApiParam(CUSTOMER_ID)
  @ApiQuery(SITE_CODE)
  @ApiOkResponse({ description: 'deleted (no content)' })
  @ApiNotFoundResponse({ description: 'the customer has no reward points entry (never created, or deleted)' })
  async close(@CurrentStore() store: StoreRecord, @Param('customerId') customerId: string): Promise<void> {
    const account = await customerAccount(this.customers, store, customerId);
    try {
      await this.points.closeAccount(account);
    } catch (error) {
      // a deleted entry is gone, as one never created
      if (isLedgerError(error, 'account_closed')) throw new LedgerError('account_not_found', `no reward points found for customer ${customerId}`, { customerId });
      throw error;
    }
  }

  @Get('customer/:customerId/summary')
  @RequireScopes('points:read')
  @ApiOperation({ summary: 'Retrieving a reward points summary for a single customer', description: `Every entry added and redeemed, in ledger order. ${EMPLOYEES_ONLY}` })
  @ApiParam(CUSTOMER_ID)
  @ApiQuery(SITE_CODE)
  @ApiOkResponse({ type: PointsSummaryOut })
  @ApiNotFoundResponse({ description: 'the customer has no open account in the site' })
  async summary(@CurrentStore() store: StoreRecord, @Param('customerId') customerId: string): Promise<PointsSummaryOut> {
    const account = await customerAccount(this.customers, store, customerId);
    // 404 unless the account is open; the entries come from its event stream
    await this.queries.summary(account);
    const entries = await this.queries.history(account);
    return summaryOf(customerId, entries);
  }

  @Post('customer/:customerId/addPoints')
  @RequireScopes('points:write')
  @ApiOperation({
    summary: 'Adding reward points for a customer',
    description: `Credits whole points (a lot that expires at \`validUntil\`). The same \`id\` again stores nothing new and gets the same answer. ${EMPLOYEES_ONLY}`,
  })
  @ApiParam(CUSTOMER_ID)
  @ApiQuery(SITE_CODE)
  @ApiCreatedResponse({ description: 'added (no content)' })
  @ApiBadRequestResponse({ description: 'a field is wrong (e.g. decimal points), or the rules refuse it (e.g. validUntil in the past)' })
  @ApiConflictResponse({ description: 'the account is deleted, or the id was used for another request' })
  async addPoints(@CurrentStore() store: StoreRecord, @Param('customerId') customerId: string, @Body() body: AddPointsIn): Promise<void> {
    await this.credit(await customerAccount(this.customers, store, customerId), body);
  }

  @Post('customer/:customerId/redeemPoints')
  @RequireScopes('points:write')
  @ApiOperation({
    summary: 'Redeeming reward points of a customer',
    description: `Redeems whole points, soonest-expiring first. The same \`id\` again stores nothing new and gets the same answer. ${EMPLOYEES_ONLY}`,
  })
  @ApiParam(CUSTOMER_ID)
  @ApiQuery(SITE_CODE)
  @ApiCreatedResponse({ description: 'redeemed (no content)' })
  @ApiBadRequestResponse({ description: 'a field is wrong, or not enough points (type `insufficient_points`)' })
  @ApiNotFoundResponse({ description: 'the customer has no open account in the site' })
  async redeemPoints(@CurrentStore() store: StoreRecord, @Param('customerId') customerId: string, @Body() body: RedeemPointsIn): Promise<void> {
    const account = await customerAccount(this.customers, store, customerId);
    await this.points.spendPoints(account, parsePoints(body.points), {
      ...(body.id !== undefined ? { transferId: body.id } : {}),
      ...(body.createdAt !== undefined ? { occurredAt: body.createdAt } : {}),
      ...(body.description !== undefined ? { comment: body.description } : {}),
    });
  }

  private async credit(account: AccountKey, body: AddPointsIn): Promise<void> {
    const referenceId = body['reference-id'];
    await this.points.addPoints(account, parsePoints(body.points), {
      ...(body.id !== undefined ? { transferId: body.id } : {}),
      ...(body.createdAt !== undefined ? { occurredAt: body.createdAt } : {}),
      ...(body.description !== undefined ? { comment: body.description } : {}),
      ...(referenceId !== undefined && referenceId !== null ? { referenceId } : {}),
      ...(body.validUntil !== undefined ? { validUntil: body.validUntil } : {}),
    });
  }
}
