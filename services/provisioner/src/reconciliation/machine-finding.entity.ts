import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One finding of the machine reconciler, kept while it is still found (first and last seen). */
@Entity({ name: 'machine_findings' })
export class MachineFindingEntity {
  @PrimaryColumn('uuid', { name: 'provider_id' })
  providerId!: string;

  @PrimaryColumn('text', { name: 'external_id' })
  externalId!: string;

  @PrimaryColumn('text')
  kind!: 'orphan' | 'missing';

  @Column('text')
  name!: string;

  @Column('uuid', { name: 'machine_id', nullable: true })
  machineId!: string | null;

  @Column('uuid', { name: 'tenant_id', nullable: true })
  tenantId!: string | null;

  @Column('timestamptz', { name: 'first_seen_at' })
  firstSeenAt!: Date;

  @Column('timestamptz', { name: 'last_seen_at' })
  lastSeenAt!: Date;
}
