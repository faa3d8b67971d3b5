import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { Principal, RequireScopes } from '@app/auth';
import { SubscriberInputError, WebhooksService } from '@app/engine';

export class CreateWebhookBody {
  @IsString() @MaxLength(2048) url!: string;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) eventTypes?: string[];
  @IsOptional() @IsArray() @ArrayMaxSize(200) @IsString({ each: true }) @MaxLength(64, { each: true }) stores?: string[];
  @IsOptional() @IsString() @MaxLength(500) description?: string;
}

export class UpdateWebhookBody {
  @IsOptional() @IsString() @MaxLength(2048) url?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) eventTypes?: string[];
  @IsOptional() @IsArray() @ArrayMaxSize(200) @IsString({ each: true }) @MaxLength(64, { each: true }) stores?: string[];
  @IsOptional() @IsString() @MaxLength(500) description?: string;
}

export class ReplayBody {
  /** a cursor: replay every event after it */
  @IsOptional() @IsString() @MaxLength(64) after?: string;
  /** an ISO-8601 instant: replay every event recorded since */
  @IsOptional() @IsString() @MaxLength(64) since?: string;
}

export class DeliveriesQuery {
  @IsOptional() @Matches(/^\d{1,3}$/, { message: 'limit must be a whole number from 1 to 500' }) limit?: string;
}

/** Webhook endpoints (Standard Webhooks): signed, ordered per account, retried for days, paused not dropped. */
@ApiTags('Events: webhooks')
@ApiBearerAuth()
@RequireScopes('webhooks:write')
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({ summary: 'Add an endpoint; the answer carries its signing secret, shown this once' })
  create(@Principal() principal: Principal, @Body() body: CreateWebhookBody) {
    return this.webhooks.create(principal.tenant, body);
  }

  @Get()
  @ApiOperation({ summary: "The tenant's endpoints (never their secrets)" })
  async list(@Principal() principal: Principal) {
    return { data: await this.webhooks.list(principal.tenant) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint' })
  get(@Principal() principal: Principal, @Param('id') id: string) {
    return this.webhooks.get(principal.tenant, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change url, eventTypes, stores or description; fields left out keep their value' })
  update(@Principal() principal: Principal, @Param('id') id: string, @Body() body: UpdateWebhookBody) {
    return this.webhooks.update(principal.tenant, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an endpoint, its waiting deliveries and its log' })
  async remove(@Principal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.webhooks.remove(principal.tenant, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new secret; the old one keeps signing beside it for 24 hours' })
  rotate(@Principal() principal: Principal, @Param('id') id: string) {
    return this.webhooks.rotateSecret(principal.tenant, id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'A paused or disabled endpoint carries on from where it stopped' })
  resume(@Principal() principal: Principal, @Param('id') id: string) {
    return this.webhooks.resume(principal.tenant, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a signed webhook.test event now and show what the receiver answered' })
  test(@Principal() principal: Principal, @Param('id') id: string) {
    return this.webhooks.sendTest(principal.tenant, id);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send again every matching event after a cursor (`after`) or since an instant (`since`)' })
  replay(@Principal() principal: Principal, @Param('id') id: string, @Body() body: ReplayBody) {
    return this.webhooks.replay(principal.tenant, id, body);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'The delivery log, newest first: attempt, status, latency, response excerpt' })
  async deliveries(@Principal() principal: Principal, @Param('id') id: string, @Query() query: DeliveriesQuery) {
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (limit < 1 || limit > 500) throw new SubscriberInputError('limit', 'limit must be a whole number from 1 to 500');
    return { data: await this.webhooks.deliveries(principal.tenant, id, limit) };
  }
}
