import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One line of the audit log: a change asked of the API, or a domain event, written once per event. */
@Entity({ name: 'audit_log' })
export class AuditEntryEntity {
  /** bigserial, read as a string (beyond 2^53 a number would lose digits). */
  @PrimaryColumn('bigint')
  id!: string;

  /** The domain event's id: the same event delivered twice is one line. */
  @Column('text', { name: 'event_id' })
  eventId!: string;

  @Column('timestamptz', { name: 'at' })
  createdAt!: Date;

  @Column('text', { name: 'org_id', nullable: true })
  orgId!: string | null;

  @Column('uuid', { name: 'tenant_id', nullable: true })
  tenantId!: string | null;

  /** Who: a token's subject, or `system:<service>` for what a workflow did. */
  @Column('text')
  actor!: string;

  /** What: `POST /v1/tenants` for a change asked of the API, the event kind otherwise. */
  @Column('text')
  action!: string;

  @Column('text', { nullable: true })
  target!: string | null;

  /** The HTTP status of a change, the status an operation ended with, or `ok`. */
  @Column('text')
  result!: string;

  /** From where: the caller's address (changes asked of the API only). */
  @Column('text', { name: 'source_ip', nullable: true })
  sourceIp!: string | null;

  @Column('jsonb')
  detail!: Record<string, unknown>;
}
