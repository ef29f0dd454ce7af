import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A tenant's restic repository; its password is stored sealed (AES-256-GCM), never in clear. */
@Entity({ name: 'repositories' })
export class BackupRepositoryEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text')
  target!: string;

  @Column('text')
  location!: string;

  /** restic's repository id; null until `restic init` has succeeded. */
  @Column('text', { name: 'restic_id', nullable: true })
  resticId!: string | null;

  @Column('text', { name: 'password_sealed' })
  passwordSealed!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
