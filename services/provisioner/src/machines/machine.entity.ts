import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ActivationKind, ResourceProviderKind } from '@fedops/contracts';

/** The machine inventory: one row per machine the platform runs, labelled with its tenant. */
@Entity({ name: 'machines' })
export class MachineEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text')
  provider!: ResourceProviderKind;

  @Column('text', { name: 'provider_id' })
  providerId!: string;

  @Column('text')
  address!: string;

  @Column('int', { name: 'ssh_port' })
  sshPort!: number;

  @Column('text', { name: 'ssh_user' })
  sshUser!: string;

  @Column('text', { name: 'ssh_host_key' })
  sshHostKey!: string;

  @Column('text', { name: 'fs_root' })
  fsRoot!: string;

  @Column('text')
  activation!: ActivationKind;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
