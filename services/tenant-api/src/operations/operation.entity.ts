import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type {
  BackupPolicy,
  OperationKind,
  OperationStatus,
  OperationStep,
  RestoreStrategy,
  SnapshotReason,
  TenantAppsState,
} from '@fedops/contracts';

/** What an update operation changes: the tenant's apps before and after (applied when it succeeds). */
export interface TenantChange {
  from: TenantAppsState;
  to: TenantAppsState;
}

/** The request of a backup (which apps, why), a restore (which snapshots, how) or a destroy (its backups too?). */
export type OperationParams =
  | { backup: { apps: string[]; reason: SnapshotReason; policy?: BackupPolicy } }
  | { restore: { snapshotIds: string[]; strategy: RestoreStrategy } }
  | { destroy: { purgeBackups: boolean } };

/** One change to a tenant and its workflow run (the workflow id is this id), owned by tenant-api. */
@Entity({ name: 'operations' })
export class OperationEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  kind!: OperationKind;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text', { name: 'org_id' })
  orgId!: string;

  /** The subject of the principal who asked, or `system:<component>`. */
  @Column('text', { name: 'requested_by' })
  requestedBy!: string;

  @Column('text')
  status!: OperationStatus;

  @Column('jsonb')
  steps!: OperationStep[];

  @Column('text', { name: 'failed_step', nullable: true })
  failedStep!: string | null;

  /** What the operator reads: curated, never raw provider output. */
  @Column('text', { nullable: true })
  error!: string | null;

  /** The raw failure, for ops staff only. */
  @Column('text', { name: 'error_detail', nullable: true })
  errorDetail!: string | null;

  /** The change an update carries out; null for other kinds. */
  @Column('jsonb', { nullable: true })
  change!: TenantChange | null;

  /** What a backup or restore was asked to do; null for other kinds. */
  @Column('jsonb', { nullable: true })
  params!: OperationParams | null;

  @Column('text', { name: 'retry_of', nullable: true })
  retryOf!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'started_at', nullable: true })
  startedAt!: Date | null;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  /** When the reconciler last looked at this (open) operation. */
  @Column('timestamptz', { name: 'checked_at', nullable: true })
  checkedAt!: Date | null;
}
