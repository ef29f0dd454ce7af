import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ActivationKind, ResourceProviderKind } from '@fedops/contracts';

/**
 * `creating`: recorded before the provider is asked (its id is the label that makes the create
 * idempotent, and the reconciler can see it); `ready`: reachable; `deleting`: being removed.
 */
export type MachineStatus = 'creating' | 'ready' | 'deleting';

/** The machine inventory: one row per machine, keyed by machine id; a tenant may hold several. */
@Entity({ name: 'machines' })
export class MachineEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('uuid', { name: 'provider_id' })
  providerId!: string;

  @Column('text')
  kind!: ResourceProviderKind;

  /** The provider's own id (VMID, server id, droplet id, namespace), once it made the machine. */
  @Column('text', { name: 'external_id', nullable: true })
  externalId!: string | null;

  @Column('text')
  name!: string;

  @Column('text')
  location!: string;

  @Column('text')
  plan!: string;

  @Column('int')
  vcpus!: number;

  @Column('int', { name: 'memory_mib' })
  memoryMiB!: number;

  @Column('int', { name: 'disk_gib' })
  diskGiB!: number;

  @Column('text')
  status!: MachineStatus;

  @Column('text', { nullable: true })
  address!: string | null;

  @Column('int', { name: 'ssh_port' })
  sshPort!: number;

  @Column('text', { name: 'ssh_user' })
  sshUser!: string;

  /** The public host key line the machine presents; pinned before the machine exists. */
  @Column('text', { name: 'ssh_host_key', nullable: true })
  sshHostKey!: string | null;

  /** The machine's host private key, sealed (bound to the machine id); cloud-init installs it. */
  @Column('text', { name: 'host_key_sealed', nullable: true })
  hostKeySealed!: string | null;

  @Column('text', { name: 'fs_root' })
  fsRoot!: string;

  @Column('text')
  activation!: ActivationKind;

  @Column('text', { name: 'placement_reason' })
  placementReason!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
