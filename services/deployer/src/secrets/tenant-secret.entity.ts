import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A secret generated for one app of one tenant, sealed (bound to tenant, app and name). The table's
 * `revealed_at` (when a secret shown once, an app's first admin password, was shown) is no column
 * here: only TenantSecretService.revealAdminPassword reads and sets it, in one statement.
 */
@Entity({ name: 'tenant_secrets' })
export class TenantSecretEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ type: 'text' })
  app!: string;

  @PrimaryColumn({ type: 'text' })
  name!: string;

  /** SecretBox-sealed value. */
  @Column({ type: 'text' })
  sealed!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
