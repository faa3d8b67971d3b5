import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NamedStore, Principal, RequireScopes, StoreAccess, StoreFrom } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { CustomerResolver, PointsQueries, PointsService, StoreRef } from '@app/engine';
import { LedgerError, toDecimal } from '@app/ledger';
import { IdempotentCommands } from '../../http/command-context';
import { BonusBookingByIdRequest, BonusBookingByNumberRequest, BonusBookingFields, BonusBookingResponse } from './bonus-booking.dto';

/** The customer a booking names and the store it goes to. */
interface BookingTarget {
  store: StoreRef;
  customerId: string;
  customerNumber: string | null;
}

/**
 * The Prems bonus system's Admin API for Shopware: one booking per request, positive points add and
 * negative points spend. `salesChannelId` names the store through its alias; empty or absent, the
 * customer's own store is used.
 */
@ApiTags('Prems (Shopware): bonus bookings')
@ApiBearerAuth()
@IdempotentCommands()
@StoreFrom({ from: 'body', name: 'salesChannelId' })
@Controller()
export class BonusBookingController {
  constructor(
    private readonly points: PointsService,
    private readonly queries: PointsQueries,
    private readonly customers: CustomerResolver,
    private readonly stores: StoreAccess,
  ) {}

  @Post('api/v2/prems-bonus-system/create-bonus-booking')
  @HttpCode(200)
  @RequireScopes('points:write')
  @ApiOperation({ summary: 'Book bonus points for a customer by customer number (404 for a number no store of the tenant knows)' })
  @ApiBody({ type: BonusBookingByNumberRequest })
  @ApiOkResponse({ type: BonusBookingResponse })
  async byCustomerNumber(
    @Principal() principal: Principal,
    @NamedStore() named: StoreRecord | undefined,
    @Body() body: BonusBookingByNumberRequest,
  ): Promise<BonusBookingResponse> {
    const reference = { by: 'customerNumber' as const, value: body.customerNumber };
    let target: BookingTarget;
    if (named) {
      const store = { tenant: named.tenant, storeCode: named.storeCode };
      target = { store, customerId: await this.customers.resolve(store, reference), customerNumber: body.customerNumber };
    } else {
      const located = await this.customers.locate(principal.tenant, reference);
      if (!located) throw new LedgerError('customer_not_found', `no customer with customerNumber ${body.customerNumber}`, { customerNumber: body.customerNumber });
      target = { store: { tenant: principal.tenant, storeCode: located.storeCode }, customerId: located.customerId, customerNumber: body.customerNumber };
    }
    return this.book(target, body);
  }

  @Post('api/_action/prems/create-bonus-booking-by-customer-id')
  @HttpCode(200)
  @RequireScopes('points:write')
  @ApiOperation({
    summary:
      "Book bonus points for a customer by id; a customer the engine has not seen gets the client's default store (or the sales channel's), and an account on a positive booking when the store opens accounts on first add",
  })
  @ApiBody({ type: BonusBookingByIdRequest })
  @ApiOkResponse({ type: BonusBookingResponse })
  async byCustomerId(
    @Principal() principal: Principal,
    @NamedStore() named: StoreRecord | undefined,
    @Body() body: BonusBookingByIdRequest,
  ): Promise<BonusBookingResponse> {
    const reference = { by: 'id' as const, value: body.customerId };
    let store: StoreRef;
    if (named) {
      store = { tenant: named.tenant, storeCode: named.storeCode };
    } else {
      const located = await this.customers.locate(principal.tenant, reference);
      const storeCode = located?.storeCode ?? (await this.stores.defaultStore(principal)).storeCode;
      store = { tenant: principal.tenant, storeCode };
    }
    return this.book({ store, customerId: await this.customers.resolve(store, reference), customerNumber: null }, body);
  }

  private async book(target: BookingTarget, body: BonusBookingFields): Promise<BonusBookingResponse> {
    const account = { ...target.store, customerId: target.customerId };
    const hundredths = Math.abs(body.points) * 100;
    const { transferId } =
      body.points > 0
        ? await this.points.addPoints(account, hundredths, { comment: body.description })
        : await this.points.spendPoints(account, hundredths, { comment: body.description });
    const summary = await this.queries.summary(account);
    return {
      data: {
        id: transferId,
        customerId: target.customerId,
        customerNumber: target.customerNumber,
        salesChannelId: body.salesChannelId || null,
        storeCode: target.store.storeCode,
        points: body.points,
        description: body.description,
        balance: toDecimal(summary.available),
      },
    };
  }
}
