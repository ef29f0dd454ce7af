import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { DeliverPolicy, JSONCodec, type NatsConnection } from 'nats';
import { EVENTS_STREAM, tenantEventsFilter, type DomainEvent } from '@fedops/contracts';
import { JsonLogger, NATS_CONNECTION } from '@fedops/service-kit';
import { describeError } from '@fedops/domain';
import { AcceptsStreamTicket, CurrentPrincipal, Roles, Scopes, type Principal } from '../auth';
import { TenantService } from '../tenants/tenant.service';
import { ApiAuthenticated, ApiJsonResponse, ApiProblemResponses } from '../openapi/api-docs.decorators';
import { STREAM_TICKET_TTL_SECONDS, StreamTickets, type IssuedStreamTicket } from './stream-tickets';
import { TENANT_ID_PARAM } from '../openapi/parameters';

const codec = JSONCodec<DomainEvent>();

@Controller('v1/tenants')
@Roles('ops', 'operator')
@ApiTags('tenants')
@ApiAuthenticated('ops', 'operator')
export class TenantEventsController {
  constructor(
    private readonly tenants: TenantService,
    private readonly tickets: StreamTickets,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly logger: JsonLogger,
  ) {}

  /** A short-lived ticket that opens this tenant's event stream without an Authorization header (EventSource). */
  @Post(':id/events/tickets')
  @HttpCode(201)
  @Scopes('tenants:read')
  @ApiOperation({
    operationId: 'createStreamTicket',
    summary: "Get a ticket for a browser's EventSource",
    description:
      `A browser's EventSource cannot send an Authorization header. The ticket opens this tenant's event ` +
      `stream as \`GET {url}\` (the ticket in the query) for ${STREAM_TICKET_TTL_SECONDS} s, for this tenant only, ` +
      'acting for the caller; ask for a new one after it expires (resume with `lastEventId`).',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiJsonResponse(201, 'StreamTicket', 'The ticket and the URL it opens.')
  @ApiProblemResponses(404)
  async ticket(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<IssuedStreamTicket & { url: string }> {
    const tenant = await this.tenants.findVisible(principal, id);
    const issued = await this.tickets.issue(principal, tenant.id);
    return { ...issued, url: `/v1/tenants/${tenant.id}/events?ticket=${issued.ticket}` };
  }

  /**
   * Server-sent events: every domain event of the tenant from the beginning (or after Last-Event-ID,
   * the JetStream sequence of the last event the client saw), then live ones until the client leaves.
   */
  @Get(':id/events')
  @Scopes('tenants:read')
  @AcceptsStreamTicket()
  @ApiOperation({
    operationId: 'streamTenantEvents',
    summary: "Follow a tenant's events (server-sent events)",
    description:
      'A text/event-stream of every domain event of the tenant from the beginning (or after Last-Event-ID), ' +
      'then live ones until the client disconnects. Each event has `id:` (stream sequence), `event:` (the kind) ' +
      'and `data:` (a DomainEvent as JSON); comment lines keep the connection alive every 15 s.',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Resume after this event (the `id:` of the last event received).',
    schema: { type: 'string', pattern: '^\\d+$' },
  })
  @ApiQuery({
    name: 'ticket',
    required: false,
    description: 'A stream ticket (POST .../events/tickets) instead of an Authorization header.',
    schema: { type: 'string', pattern: '^fst_[A-Za-z0-9_-]{43}$' },
  })
  @ApiQuery({
    name: 'lastEventId',
    required: false,
    description: 'As the Last-Event-ID header, for a new EventSource resuming where an old one stopped.',
    schema: { type: 'string', pattern: '^\\d+$' },
  })
  @ApiProduces('text/event-stream')
  @ApiResponse({
    status: 200,
    description: 'The event stream; each `data:` line is a DomainEvent (components.schemas.DomainEvent).',
    schema: {
      type: 'string',
      example: 'id: 42\nevent: tenant.status.changed\ndata: {"id":"...","kind":"tenant.status.changed"}\n\n',
    },
  })
  @ApiProblemResponses(404)
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.tenants.findVisible(principal, id);
    // Noticed from the start: a client that leaves while the consumer is being set up must not leak it.
    let gone = false;
    let stop = (): void => {
      gone = true;
    };
    req.on('close', () => stop());
    const lastEventId =
      lastEventIdHeader ?? (typeof lastEventIdQuery === 'string' ? lastEventIdQuery : undefined);
    const after = lastEventId !== undefined && /^\d+$/.test(lastEventId) ? Number(lastEventId) : 0;
    const consumer = await this.nats.jetstream().consumers.get(EVENTS_STREAM, {
      // One filter subject (a string): NATS 2.9, as Debian ships it, has no multi-subject filters.
      filterSubjects: tenantEventsFilter(id),
      ...(after > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 } : {}),
    });
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(': connected\n\n');
    const messages = await consumer.consume();
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const close = (): void => {
      clearInterval(keepAlive);
      void messages.close();
    };
    stop = close;
    if (gone) close();
    try {
      for await (const m of messages) {
        const event = codec.decode(m.data);
        // Who asked for changes, from where, is in the audit log (GET /v1/audit), not in the stream.
        if (event.kind === 'change.requested') continue;
        res.write(`id: ${m.seq}\nevent: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);
      }
    } catch (err) {
      this.logger.emit('warn', 'event stream ended', { tenantId: id, error: describeError(err) });
    } finally {
      close();
      res.end();
    }
  }
}
