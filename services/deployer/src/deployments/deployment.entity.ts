import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { MachineRef } from '@fedops/contracts';

/** One activated configuration generation on a tenant's machine. */
@Entity({ name: 'deployments' })
export class DeploymentEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('uuid', { name: 'machine_id' })
  machineId!: string;

  @Column('int')
  generation!: number;

  @Column('text', { name: 'config_hash' })
  configHash!: string;

  @Column('jsonb')
  apps!: Array<{ app: string; healthy: boolean; url: string }>;

  /** How to reach the machine (the drift check asks it what it runs); null on rows from before. */
  @Column('jsonb', { nullable: true })
  machine!: MachineRef | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
