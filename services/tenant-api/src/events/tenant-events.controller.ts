import { Controller, Get, Headers, Inject, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DeliverPolicy, JSONCodec, type NatsConnection } from 'nats';
import { EVENTS_STREAM, tenantEventsFilter, type DomainEvent } from '@fedops/contracts';
import { JsonLogger, NATS_CONNECTION } from '@fedops/service-kit';
import { describeError } from '@fedops/domain';
import { CurrentPrincipal, Roles, type Principal } from '../auth';
import { TenantService } from '../tenants/tenant.service';

const codec = JSONCodec<DomainEvent>();

@Controller('v1/tenants')
@Roles('ops', 'operator')
export class TenantEventsController {
  constructor(
    private readonly tenants: TenantService,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly logger: JsonLogger,
  ) {}

  /**
   * Server-sent events: every domain event of the tenant from the beginning (or after Last-Event-ID,
   * the JetStream sequence of the last event the client saw), then live ones until the client leaves.
   */
  @Get(':id/events')
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.tenants.findVisible(principal, id);
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
    req.on('close', close);
    try {
      for await (const m of messages) {
        const event = codec.decode(m.data);
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
