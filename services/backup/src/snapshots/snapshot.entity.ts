import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { SnapshotReason } from '@fedops/contracts';

const bigintAsNumber = { to: (v: number): number => v, from: (v: string | number): number => Number(v) };

/** The backup service's record of one app's snapshot in a tenant's repository (restic has the data). */
@Entity({ name: 'snapshots' })
@Index(['tenantId', 'takenAt'])
export class SnapshotEntity {
  /** restic's snapshot id (64 hex). */
  @PrimaryColumn('text')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text')
  app!: string;

  @Column('text')
  reason!: SnapshotReason;

  @Column('text', { name: 'operation_id' })
  operationId!: string;

  @Column('timestamptz', { name: 'taken_at' })
  takenAt!: Date;

  @Column('jsonb')
  paths!: string[];

  @Column('jsonb')
  databases!: string[];

  @Column('bigint', { name: 'total_bytes', transformer: bigintAsNumber })
  totalBytes!: number;

  @Column('bigint', { name: 'added_bytes', transformer: bigintAsNumber })
  addedBytes!: number;

  @Column('integer')
  files!: number;

  /** Retention never forgets it (taken before a restore, an upgrade or a removal). */
  @Column('boolean', { name: 'protected' })
  isProtected!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
