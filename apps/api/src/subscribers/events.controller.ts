import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Principal, RequireScopes } from '@app/auth';
import { ENGINE_CONFIG, EngineConfig, MAX_PAGE, parseCursor, parseEventTypes, PUBLIC_EVENT_SCHEMAS, PublicEventFeed, PublicEventFilter, SubscriberInputError } from '@app/engine';

export class EventsQuery {
  @IsOptional() @IsString() @MaxLength(64) after?: string;
  /** comma-separated public event types */
  @IsOptional() @IsString() @MaxLength(1000) types?: string;
  /** comma-separated store codes */
  @IsOptional() @IsString() @MaxLength(1000) store?: string;
  @IsOptional() @Matches(/^\d{1,4}$/, { message: `limit must be a whole number from 1 to ${MAX_PAGE}` }) limit?: string;
}

export function filterOf(tenant: string, query: { types?: string; store?: string }): PublicEventFilter {
  const stores = query.store?.split(',').map((code) => code.trim()).filter(Boolean);
  return { tenant, types: parseEventTypes(query.types), ...(stores?.length && { stores }) };
}

/** Bytes one connection may hold for a reader that is behind before it waits for the reader (and drops it after sseSlowReaderMs). */
const MAX_BUFFERED_BYTES = 256 * 1024;

/** The public event catalogue: its schemas, a polling feed and an SSE stream, one cursor for both (and webhooks). */
@ApiTags('Events: subscribing')
@ApiBearerAuth()
@Controller('api/events')
export class EventsController {
  constructor(
    private readonly feed: PublicEventFeed,
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
  ) {}

  @Get('schemas')
  @RequireScopes('events:read')
  @ApiOperation({ summary: 'JSON Schema of every public event type and version' })
  schemas() {
    return { data: PUBLIC_EVENT_SCHEMAS };
  }

  @Get()
  @RequireScopes('events:read')
  @ApiOperation({ summary: 'Polling: the public events after a cursor, oldest first. Pass `cursor` back as `after` for the next page.' })
  @ApiOkResponse({ description: '{ data: PublicEvent[], cursor, more }' })
  async poll(@Principal() principal: Principal, @Query() query: EventsQuery) {
    const after = parseCursor(query.after);
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (limit < 1 || limit > MAX_PAGE) throw new SubscriberInputError('limit', `limit must be a whole number from 1 to ${MAX_PAGE}`);
    const page = await this.feed.page(after, filterOf(principal.tenant, query), limit);
    return { data: page.events, cursor: page.cursor, more: page.more };
  }

  @Get('stream')
  @RequireScopes('events:read')
  @ApiOperation({ summary: 'Server-sent events: every public event as it is stored; resume with Last-Event-ID or ?after=' })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'the id (cursor) of the last event received' })
  @ApiQuery({ name: 'after', required: false })
  async stream(
    @Principal() principal: Principal,
    @Query() query: EventsQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // everything a client can get wrong is refused before the stream starts
    const after = lastEventId ? parseCursor(lastEventId, 'Last-Event-ID') : parseCursor(query.after);
    const filter = filterOf(principal.tenant, query);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const abort = new AbortController();
    request.raw.socket.once('close', () => abort.abort());
    raw.once('close', () => abort.abort());
    const write = async (chunk: string): Promise<boolean> => {
      if (raw.write(chunk) && raw.writableLength < MAX_BUFFERED_BYTES) return true;
      // the reader is behind: wait for it, but never buffer more for it; dropped, it resumes from its cursor
      const drained = await new Promise<boolean>((resolve) => {
        const done = (result: boolean) => {
          clearTimeout(timer);
          raw.off('drain', onDrain);
          abort.signal.removeEventListener('abort', onAbort);
          resolve(result);
        };
        const onDrain = () => done(true);
        const onAbort = () => done(false);
        const timer = setTimeout(() => done(false), this.config.sseSlowReaderMs);
        raw.on('drain', onDrain);
        abort.signal.addEventListener('abort', onAbort);
      });
      return drained && !abort.signal.aborted;
    };
    try {
      if (!(await write(`retry: 1000\n: following after ${query.after ?? lastEventId ?? 'the beginning'}\n\n`))) return;
      for await (const item of this.feed.follow(after, filter, { heartbeatMs: this.config.sseHeartbeatMs, signal: abort.signal })) {
        const chunk = item === 'heartbeat' ? ': heartbeat\n\n' : `id: ${item.cursor}\nevent: ${item.type}\ndata: ${JSON.stringify(item)}\n\n`;
        if (!(await write(chunk))) break;
      }
    } finally {
      abort.abort();
      if (!raw.destroyed) raw.destroy();
    }
  }
}
