import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { DnsRecordSummary } from '@fedops/contracts';

/** What the platform wrote for a tenant: the zone, whether it created it, and the names it owns. */
@Entity({ name: 'tenant_zones' })
export class TenantZoneEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text')
  provider!: string;

  @Column('text')
  zone!: string;

  @Column('boolean', { name: 'zone_created' })
  zoneCreated!: boolean;

  @Column('jsonb')
  records!: DnsRecordSummary[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
