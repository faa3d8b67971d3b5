import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentStore, CustomerAccess, Principal, RequireScopes } from '@app/auth';
import type { StoreRecord } from '@app/auth';
import { CustomerResolver, PointsService } from '@app/engine';
import { formatPoints, parsePoints } from '@app/ledger';
import { AddTransferRequest, AdminP2PRequest, P2PRequest, TransferCreatedResponse, TransferRequest } from './transfer.dto';
import { TransferIdParam } from './params.dto';
import { RequestValidationError } from '../../http/validation';
import { IdempotentCommands } from '../../http/command-context';

const store = (record: StoreRecord) => ({ tenant: record.tenant, storeCode: record.storeCode });

/** Open Loyalty's points-transfer commands, over the ledger's one set of commands. */
@ApiTags('Open Loyalty: points transfers')
@ApiBearerAuth()
@IdempotentCommands()
@Controller('api/:storeCode')
export class PointsTransfersController {
  constructor(
    private readonly points: PointsService,
    private readonly customers: CustomerResolver,
  ) {}

  @Post('points/transfer/add')
  @HttpCode(200)
  @RequireScopes('points:write')
  @ApiOperation({ summary: "Add points to a customer's account" })
  @ApiOkResponse({ type: TransferCreatedResponse })
  async add(@CurrentStore() record: StoreRecord, @Body() body: AddTransferRequest): Promise<TransferCreatedResponse> {
    const { customer, points, comment, validUntil, validityDays, activatesAt, pendingDays } = body.transfer;
    const { transferId } = await this.points.addPoints({ ...store(record), customerId: customer }, parsePoints(points), {
      ...(comment !== undefined ? { comment } : {}),
      validUntil,
      validityDays,
      activatesAt,
      pendingDays,
    });
    return { pointsTransferId: transferId };
  }

  @Post('points/transfer/spend')
  @HttpCode(200)
  @RequireScopes('points:write')
  @ApiOperation({ summary: "Spend a customer's points" })
  @ApiOkResponse({ type: TransferCreatedResponse })
  async spend(@CurrentStore() record: StoreRecord, @Body() body: TransferRequest): Promise<TransferCreatedResponse> {
    const { customer, points, comment } = body.transfer;
    const { transferId } = await this.points.spendPoints({ ...store(record), customerId: customer }, parsePoints(points), comment !== undefined ? { comment } : {});
    return { pointsTransferId: transferId };
  }

  @Post('points/transfer/block')
  @HttpCode(200)
  @RequireScopes('points:write')
  @ApiOperation({ summary: "Block points on a customer's account (unblock with cancel)" })
  @ApiOkResponse({ type: TransferCreatedResponse })
  async block(@CurrentStore() record: StoreRecord, @Body() body: TransferRequest): Promise<TransferCreatedResponse> {
    const { customer, points, comment } = body.transfer;
    const { transferId } = await this.points.blockPoints({ ...store(record), customerId: customer }, parsePoints(points), comment !== undefined ? { comment } : {});
    return { pointsTransferId: transferId };
  }

  @Post('points/transfer/:transfer/cancel')
  @HttpCode(200)
  @RequireScopes('points:write')
  @ApiOperation({ summary: 'Cancel an adding, a spending or a block; X-Cancelled-Points tells how many points it removed, restored or released' })
  @ApiOkResponse({ description: 'no content' })
  async cancel(@CurrentStore() record: StoreRecord, @Param() params: TransferIdParam, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const { points } = await this.points.cancelTransfer(store(record), params.transfer);
    void reply.header('X-Cancelled-Points', formatPoints(points));
  }

  @Post('points/transfer/:transfer/activate')
  @HttpCode(204)
  @RequireScopes('points:write')
  @ApiOperation({ summary: 'Activate a pending transfer' })
  @ApiNoContentResponse()
  async activate(@CurrentStore() record: StoreRecord, @Param() params: TransferIdParam): Promise<void> {
    await this.points.activateTransfer(store(record), params.transfer);
  }

  @Post('points/transfer/:transfer/expire')
  @HttpCode(204)
  @RequireScopes('points:write')
  @ApiOperation({ summary: 'Expire an active transfer' })
  @ApiNoContentResponse()
  async expire(@CurrentStore() record: StoreRecord, @Param() params: TransferIdParam): Promise<void> {
    await this.points.expireTransfer(store(record), params.transfer);
  }

  @Post('admin/p2p-points-transfer')
  @HttpCode(200)
  @RequireScopes('points:write')
  @ApiOperation({ summary: 'Transfer points between customers (admin); returns the p2p spending transfer id' })
  @ApiOkResponse({ type: TransferCreatedResponse })
  async adminTransfer(@CurrentStore() record: StoreRecord, @Body() body: AdminP2PRequest): Promise<TransferCreatedResponse> {
    const { sender, receiver, points, comment } = body.transfer;
    return this.transfer(record, sender, receiver, points, comment);
  }

  @Post('customer/points/p2p-transfer')
  @HttpCode(200)
  @RequireScopes('points:write')
  @CustomerAccess('only')
  @ApiOperation({ summary: 'Transfer points from the logged-in customer to another customer' })
  @ApiOkResponse({ type: TransferCreatedResponse })
  async customerTransfer(
    @CurrentStore() record: StoreRecord,
    @Principal() principal: Principal,
    @Body() body: P2PRequest,
  ): Promise<TransferCreatedResponse> {
    const { receiver, points, comment } = body.transfer;
    return this.transfer(record, principal.customerId as string, receiver, points, comment);
  }

  private async transfer(record: StoreRecord, sender: string, receiver: string, points: string | number, comment?: string) {
    // "email/phone or uuid of customer", as the seed has it
    const senderId = await this.customers.resolveReference(record, sender);
    const receiverId = await this.customers.resolveReference(record, receiver);
    const { transferId } = await this.points.transferPoints(store(record), senderId, receiverId, parsePoints(points), comment);
    return { pointsTransferId: transferId };
  }
}
