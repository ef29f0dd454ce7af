import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type {
  ActiveConfiguration,
  AppHostname,
  AppSelection,
  BackupPolicy,
  MachinePlacement,
  ResourceProviderKind,
  TenantStatus,
} from '@fedops/contracts';

/** What the drift check found: the machine runs something else than fedops activated last. */
export interface TenantDrift {
  detectedAt: string;
  expected: Required<ActiveConfiguration>;
  found: ActiveConfiguration;
}

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

  /** The kind of the provider its machine is on (the placement's). */
  @Column('text')
  provider!: ResourceProviderKind;

  /**
   * Where its machine goes, chosen by the provisioner before the tenant was stored, with the machine's
   * id; every deploy of the tenant passes it on. Null for tenants created before placement existed.
   */
  @Column('jsonb', { nullable: true })
  placement!: MachinePlacement | null;

  @Column('text')
  status!: TenantStatus;

  /** The tenant's latest operation: the one whose outcome sets `status`. */
  @Column('text', { name: 'last_operation_id' })
  lastOperationId!: string;

  /** Why the latest operation failed, as the operator reads it (the detail is on the operation). */
  @Column('text', { nullable: true })
  error!: string | null;

  /** Set by the drift check, cleared when the tenant's machine runs its desired state again. */
  @Column('jsonb', { nullable: true })
  drift!: TenantDrift | null;

  /** How it is backed up on its own (schedule, retention, checks). */
  @Column('jsonb', { name: 'backup_policy' })
  backupPolicy!: BackupPolicy;

  /** When its last backup operation succeeded, and when one last failed (scheduled or not). */
  @Column('timestamptz', { name: 'last_backup_at', nullable: true })
  lastBackupAt!: Date | null;

  @Column('timestamptz', { name: 'last_backup_failed_at', nullable: true })
  lastBackupFailedAt!: Date | null;

  /** Raised by every save of the row: the tenant's ETag (entityTag), which a PATCH names in If-Match. */
  @VersionColumn()
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
