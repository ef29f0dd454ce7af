import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ProviderPlan, ProviderQuotas, ProviderStatus, ResourceProviderKind } from '@fedops/contracts';

/** A registered resource provider: a Proxmox cluster, a cloud account, or the local sandbox. */
@Entity({ name: 'providers' })
export class ProviderEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { unique: true })
  name!: string;

  @Column('text')
  kind!: ResourceProviderKind;

  @Column('text', { nullable: true })
  endpoint!: string | null;

  /** SecretBox-sealed JSON of the credentials, bound to the provider id. */
  @Column('text', { name: 'credentials_sealed' })
  credentialsSealed!: string;

  @Column('text', { name: 'credential_fields', array: true })
  credentialFields!: string[];

  @Column('text', { array: true })
  locations!: string[];

  @Column('jsonb')
  plans!: ProviderPlan[];

  @Column('text')
  image!: string;

  @Column('jsonb')
  settings!: Record<string, string>;

  @Column('jsonb')
  quotas!: ProviderQuotas;

  @Column('text')
  status!: ProviderStatus;

  @Column('jsonb', { name: 'last_check', nullable: true })
  lastCheck!: { ok: boolean; at: string; message: string; locations: string[] } | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
