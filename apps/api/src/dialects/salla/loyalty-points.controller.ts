import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentStore, RequireScopes, StoreFrom } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { BulkItem, BulkOperation, BulkPoints, BulkResult, CustomerNotifications, Customers, PointsQueries, StoreRef } from '@app/engine';
import { parsePoints } from '@app/ledger';
import { IdempotentCommands } from '../../http/command-context';
import { RequestValidationError } from '../../http/validation';
import { UpdateLoyaltyPointsRequest } from './loyalty-points.dto';
import { localeOf, refusalMessage, SALLA_TEXT, SallaLocale } from './salla-messages';

/** A customer the request named and left unchanged (an extra field beside Salla's documented ones). */
export interface RefusedCustomer {
  id: number | string;
  code: string;
  message: string;
}

export interface UpdateLoyaltyPointsResponse {
  status: 201;
  success: true;
  data: { code: 201; message: string; updated_customers: number; failed_customers: RefusedCustomer[] };
}

const PAGE = 500;

/** Salla's bulk loyalty points route: one request, many customers of the calling client's default store. */
@ApiTags('Salla: loyalty points')
@ApiBearerAuth()
@IdempotentCommands()
@StoreFrom({ from: 'client-default' })
@Controller('admin/v2/customers/loyalty')
export class SallaLoyaltyPointsController {
  constructor(
    private readonly bulk: BulkPoints,
    private readonly customers: Customers,
    private readonly points: PointsQueries,
    private readonly notifications: CustomerNotifications,
  ) {}

  @Post('points')
  @HttpCode(201)
  @RequireScopes('points:write')
  @ApiOperation({
    summary: 'Update Customer Loyalty Points',
    description:
      'Adds (plus) or deducts (minus) points for each listed customer, or for every customer of the store (select_all); reset_points first ' +
      'expires every point, and with points the balance then becomes exactly points (one atomic change per customer). Each customer changes ' +
      'all or nothing: one without enough points for minus is left unchanged and listed in data.failed_customers. channel_send records one ' +
      'notification per customer and channel; e-mail is delivered through LOYALTY_SMTP_URL. Store: the client\'s default store.',
  })
  @ApiResponse({ status: 201, description: '{status, success, data: {code, message, updated_customers, failed_customers}}' })
  @ApiResponse({ status: 400, description: 'a body that is no request (malformed JSON)' })
  @ApiResponse({ status: 401, description: 'no valid token, or a token without points:write (Salla: customers.read_write)' })
  @ApiResponse({ status: 422, description: 'alert.invalid_fields with each field\'s messages' })
  async update(@CurrentStore() record: StoreRecord, @Body() body: UpdateLoyaltyPointsRequest, @Req() request: FastifyRequest): Promise<UpdateLoyaltyPointsResponse> {
    const locale = localeOf(request);
    const store: StoreRef = { tenant: record.tenant, storeCode: record.storeCode };
    const operation = this.operation(body);
    const channels = [...new Set(body.channel_send)];
    const change = body.reset_points ? 'reset' : body.type;
    const hundredths = body.points === undefined ? undefined : parsePoints(body.points);

    // the ids in the order their items went in; results come back in the same order
    const named: Array<number | string> = [];
    const items = this.items(store, body, operation, named);
    const refused: RefusedCustomer[] = [];
    let updated = 0;
    await this.bulk.apply(
      store,
      items,
      async (results: BulkResult[]) => {
        const applied: string[] = [];
        for (const result of results) {
          const id = named.shift() as number | string;
          if (result.status === 'refused') refused.push({ id, code: result.code, message: refusalMessage(result.code, result.message, locale) });
          else {
            updated++;
            applied.push(result.customerId);
          }
        }
        if (!channels.length) return;
        await Promise.all(
          applied.map((customerId) =>
            this.notifications.request(store, customerId, channels, { change, reason: body.reason, locale, ...(hundredths !== undefined ? { points: hundredths } : {}) }),
          ),
        );
      },
      { itemScope: 'salla' },
    );
    return { status: 201, success: true, data: { code: 201, message: SALLA_TEXT.updated[locale as SallaLocale], updated_customers: updated, failed_customers: refused } };
  }

  /** The one ledger operation every named customer gets. */
  private operation(body: UpdateLoyaltyPointsRequest): BulkOperation {
    const details = { reason: body.reason, customerReason: body.reason };
    if (body.reset_points) {
      if (body.points === undefined) return { type: 'reset' };
      // a reset leaves nothing to deduct: reset-then-minus could only ever be refused
      if (body.type === 'minus') throw new RequestValidationError([{ field: 'points', message: 'minus_with_reset', path: ['points'] }]);
      return { type: 'resetAndAdd', points: parsePoints(body.points as number), details };
    }
    const points = parsePoints(body.points as number);
    return body.type === 'plus' ? { type: 'add', points, details } : { type: 'spend', points, details };
  }

  /** The listed customers once each, or every customer of the store streamed page by page. */
  private async *items(store: StoreRef, body: UpdateLoyaltyPointsRequest, operation: BulkOperation, named: Array<number | string>): AsyncGenerator<BulkItem> {
    const item = (customerId: string): BulkItem => ({ customer: { by: 'id', value: customerId }, operation });
    if (!body.select_all) {
      for (const id of new Set(body.customers ?? [])) {
        named.push(id);
        yield item(String(id));
      }
      return;
    }
    // a bare reset only concerns customers holding points; the others have nothing to reset
    const ids = operation.type === 'reset' ? this.accountHolders(store) : this.customers.everyCustomerId(store, PAGE);
    for await (const customerId of ids) {
      named.push(/^\d+$/.test(customerId) && Number.isSafeInteger(Number(customerId)) ? Number(customerId) : customerId);
      yield item(customerId);
    }
  }

  private async *accountHolders(store: StoreRef): AsyncGenerator<string> {
    let after: string | undefined;
    for (;;) {
      const page = await this.points.summaries({ ...store, limit: PAGE, ...(after !== undefined ? { after: { storeCode: store.storeCode, customerId: after } } : {}) });
      for (const account of page) yield account.customerId;
      if (page.length < PAGE) return;
      after = page[page.length - 1].customerId;
    }
  }
}
