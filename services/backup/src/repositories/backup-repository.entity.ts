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

  /** restic's repository id; null until the first backup has initialised the repository. */
  @Column('text', { name: 'restic_id', nullable: true })
  resticId!: string | null;

  @Column('text', { name: 'password_sealed' })
  passwordSealed!: string;

  /** When its tenant was deleted: the repository is kept until `purgeAfter`, restorable meanwhile. */
  @Column('timestamptz', { name: 'deleted_at', nullable: true })
  deletedAt!: Date | null;

  @Column('timestamptz', { name: 'purge_after', nullable: true })
  purgeAfter!: Date | null;

  /** The last `restic check` that passed. */
  @Column('timestamptz', { name: 'checked_at', nullable: true })
  checkedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
