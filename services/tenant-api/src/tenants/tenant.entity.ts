import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { AppHostname, AppSelection, ResourceProviderKind, TenantStatus } from '@fedops/contracts';

/** Desired state of a tenant, owned by tenant-api. */
@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'org_id' })
  orgId!: string;

  @Column('text')
  domain!: string;

  @Column('jsonb')
  apps!: AppSelection[];

  @Column('jsonb')
  hostnames!: AppHostname[];

  @Column('text')
  provider!: ResourceProviderKind;

  @Column('text')
  status!: TenantStatus;

  @Column('text', { name: 'last_operation_id' })
  lastOperationId!: string;

  @Column('timestamptz', { name: 'operation_started_at' })
  operationStartedAt!: Date;

  @Column('text', { nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** The first answer to a POST carrying an Idempotency-Key, replayed for retries of that request. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  @PrimaryColumn('text', { name: 'org_id' })
  orgId!: string;

  @PrimaryColumn('text')
  key!: string;

  @Column('text', { name: 'request_hash' })
  requestHash!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('int', { name: 'status_code' })
  statusCode!: number;

  @Column('jsonb')
  body!: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
