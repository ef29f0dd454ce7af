import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, JSONCodec, type ConsumerMessages, type NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import {
  AUDIT_LOG_CONSUMER,
  EVENTS_STREAM,
  PLATFORM_EVENT_SCOPE,
  type ChangeRequestedData,
  type DomainEvent,
  type EventKind,
} from '@fedops/contracts';
import { describeError } from '@fedops/domain';
import { JsonLogger, NATS_CONNECTION } from '@fedops/service-kit';

const codec = JSONCodec<DomainEvent>();

/**
 * Events that change nothing (a step started or ended, how far a backup is): on the stream for
 * progress bars, not audited.
 */
const NOT_AUDITED: ReadonlySet<EventKind> = new Set<EventKind>(['operation.progress', 'backup.progress']);
const RETRY_MS = 5_000;

/** One audit line, as the projector derives it from an event. */
export interface AuditLine {
  eventId: string;
  at: string;
  orgId: string | null;
  tenantId: string | null;
  actor: string;
  action: string;
  target: string | null;
  result: string;
  sourceIp: string | null;
  detail: Record<string, unknown>;
}

/** Pure: the audit line of an event (the organisation of a tenant's event is looked up by the caller). */
export function auditLineOf(event: DomainEvent): AuditLine {
  const tenantId = event.tenantId === PLATFORM_EVENT_SCOPE ? null : event.tenantId;
  if (event.kind === 'change.requested') {
    const change = event.data as ChangeRequestedData;
    const { actor, org, targetOrg, action, target, status, sourceIp, ...rest } = change;
    return {
      eventId: event.id,
      at: event.at,
      orgId: targetOrg ?? org ?? null,
      tenantId,
      actor,
      action,
      target: target ?? null,
      result: String(status),
      sourceIp: sourceIp ?? null,
      // The caller's own organisation: absent when ops staff made the change.
      detail: { ...rest, ...(org !== undefined ? { actorOrg: org } : {}) },
    };
  }
  const data = event.data as { status?: unknown; operationId?: unknown; machineId?: unknown };
  return {
    eventId: event.id,
    at: event.at,
    orgId: null,
    tenantId,
    actor: `system:${event.source}`,
    action: event.kind,
    target:
      typeof data.operationId === 'string'
        ? data.operationId
        : typeof data.machineId === 'string'
          ? data.machineId
          : null,
    result: typeof data.status === 'string' ? data.status : 'ok',
    sourceIp: null,
    detail: event.data,
  };
}

/**
 * Feeds the audit log from the events stream through a durable consumer: every event becomes one
 * line (the event id is unique, so a redelivery is stored once), acknowledged only once stored. It
 * resumes where it stopped after a restart, and starts over with the whole stream on a new database.
 */
@Injectable()
export class AuditProjector implements OnApplicationBootstrap, OnApplicationShutdown {
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    logger: JsonLogger,
  ) {
    this.log = logger.child('audit');
  }

  onApplicationBootstrap(): void {
    void this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.messages?.close();
  }

  private async run(): Promise<void> {
    try {
      const jsm = await this.nats.jetstreamManager();
      await jsm.consumers.info(EVENTS_STREAM, AUDIT_LOG_CONSUMER).catch(() =>
        jsm.consumers.add(EVENTS_STREAM, {
          durable_name: AUDIT_LOG_CONSUMER,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          max_ack_pending: 1_000,
        }),
      );
      const consumer = await this.nats.jetstream().consumers.get(EVENTS_STREAM, AUDIT_LOG_CONSUMER);
      this.messages = await consumer.consume({ max_messages: 200 });
      for await (const m of this.messages) {
        await this.store(codec.decode(m.data));
        m.ack();
      }
    } catch (err) {
      if (this.stopped) return;
      this.log.warn('audit log consumer stopped; retrying', { error: describeError(err) });
    }
    if (!this.stopped) this.retry = setTimeout(() => void this.run(), RETRY_MS);
  }

  /** Writes the event's line; the organisation of a tenant's event comes from the tenant. */
  async store(event: DomainEvent): Promise<void> {
    if (NOT_AUDITED.has(event.kind)) return;
    const line = auditLineOf(event);
    await this.dataSource.query(
      // A change refused before it named its tenant (a 409 on an operation) is filed under the
      // tenant of the operation it targeted.
      `WITH line AS (
         SELECT COALESCE($4::uuid, (SELECT tenant_id FROM operations WHERE id = $7)) AS tenant_id
       )
       INSERT INTO audit_log (event_id, at, org_id, tenant_id, actor, action, target, result, source_ip, detail)
       SELECT $1, $2, COALESCE($3, (SELECT org_id FROM tenants WHERE id = line.tenant_id)), line.tenant_id,
              $5, $6, $7, $8, $9, $10::jsonb
         FROM line
       ON CONFLICT (event_id) DO NOTHING`,
      [
        line.eventId,
        line.at,
        line.orgId,
        line.tenantId,
        line.actor,
        line.action,
        line.target,
        line.result,
        line.sourceIp,
        JSON.stringify(line.detail),
      ],
    );
  }
}
