import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentStore, RequireScopes, StoreFrom } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { CustomerResolver, PointsQueries, PointsService } from '@app/engine';
import { toDecimal } from '@app/ledger';
import { FirstAnswer, IdempotentCommands, keyFromBody } from '../../http/command-context';
import { RequestValidationError } from '../../http/validation';
import { ChangePointsRequest, ChangePointsResult, OPERATION_ADD, signedHundredths } from './change-points.dto';
import { ChangeKeyUsed, Envelope, envelope, errorEnvelope, OUTCOMES } from './envelope';

/** What the customer's history says when the request gives no customer-facing reason. */
export const DEFAULT_CUSTOMER_REASON = { add: 'Points added', remove: 'Points removed' } as const;

/** A repeat of a ChangeKey changes nothing: its answer is the key-used error carrying the first answer. */
function replayChangeKey(first: FirstAnswer, reply: FastifyReply): never {
  const changeKey = String((reply.request.body as { ChangeKey?: unknown } | undefined)?.ChangeKey ?? '');
  const original = first.refusal
    ? errorEnvelope({ status: first.status, code: first.refusal.code, message: first.refusal.message, ...(first.refusal.details ? { details: first.refusal.details } : {}) }).body
    : (first.body as Envelope);
  throw new ChangeKeyUsed(changeKey, original);
}

@ApiTags('External API: change points')
@ApiBasicAuth()
@ApiExtraModels(Envelope, ChangePointsResult)
@Controller('external-api/v1/customers')
@StoreFrom({ from: 'client-default' })
@IdempotentCommands({ key: keyFromBody('ChangeKey'), keyOnly: true, replay: replayChangeKey })
export class ChangePointsController {
  constructor(
    private readonly points: PointsService,
    private readonly queries: PointsQueries,
    private readonly customers: CustomerResolver,
  ) {}

  @Post('change-points')
  @HttpCode(200)
  @RequireScopes('points:write')
  @ApiOperation({
    summary: "Add points to a customer or remove them, once per ChangeKey, in the client's default store",
    description: Object.entries(OUTCOMES)
      .map(([name, outcome]) => `${outcome.code} ${name} (HTTP ${outcome.status}): ${outcome.when}`)
      .join('\n\n'),
  })
  @ApiBody({ type: ChangePointsRequest })
  @ApiOkResponse({
    description: 'Success (Code 00) or a warning (Code 01, IsError false)',
    schema: { allOf: [{ $ref: getSchemaPath(Envelope) }, { properties: { Result: { $ref: getSchemaPath(ChangePointsResult) } } }] },
  })
  @ApiResponse({ status: 400, description: 'ValidationFailed, with Errors per field', type: Envelope })
  @ApiResponse({ status: 409, description: 'ChangeKeyAlreadyUsed (Result: the first answer), AccountClosed or ConcurrentUpdate', type: Envelope })
  async changePoints(@CurrentStore() store: StoreRecord, @Body() request: ChangePointsRequest): Promise<Envelope<ChangePointsResult>> {
    const customerId = await this.customerOf(store, request);
    const account = { tenant: store.tenant, storeCode: store.storeCode, customerId };
    const amount = signedHundredths(request.Amount);
    const adding = request.OperationType === OPERATION_ADD;
    const customerReason = request.CustomerFacingReason || (adding ? DEFAULT_CUSTOMER_REASON.add : DEFAULT_CUSTOMER_REASON.remove);
    const details = { reason: request.Reason, customerReason };
    const { transferId } = adding
      ? await this.points.addPoints(account, amount, details)
      : await this.points.spendPoints(account, -amount, details);
    // the balance right after this very change, from the account's own events (later changes do not count)
    const entry = (await this.queries.history(account)).find((e) => e.transferId === transferId && (e.kind === 'added' || e.kind === 'spent'));
    const balance = entry ? entry.balance.available : (await this.queries.summary(account)).available;
    const result: ChangePointsResult = {
      ChangeKey: request.ChangeKey,
      CustomerId: customerId,
      OperationType: request.OperationType,
      Amount: toDecimal(amount),
      Balance: toDecimal(balance),
      PointsTransferId: transferId,
      CustomerFacingReason: customerReason,
    };
    return envelope(!adding && balance === 0 ? 'BalanceIsZero' : 'Success', result);
  }

  /** By CustomerId (any well-formed id: accounts open on first credit) or by Email (a registered customer); both must agree. */
  private async customerOf(store: StoreRecord, request: ChangePointsRequest): Promise<string> {
    const hasEmail = request.Email !== undefined && request.Email !== null;
    if (request.CustomerId === undefined || request.CustomerId === null) return this.customers.resolve(store, { by: 'email', value: request.Email as string });
    const customerId = await this.customers.resolve(store, { by: 'id', value: request.CustomerId });
    if (hasEmail && (await this.customers.resolve(store, { by: 'email', value: request.Email as string })) !== customerId) {
      throw new RequestValidationError([{ field: 'Email', message: 'names another customer than CustomerId', path: ['Email'] }]);
    }
    return customerId;
  }
}
