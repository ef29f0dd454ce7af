import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Quotas } from '../quotas/quotas';

/** An organisation: the operators and tenants of one customer of the hosting provider. */
@Entity({ name: 'organisations' })
export class OrganisationEntity {
  /** A slug (`acme`), as tenants and tokens name it. */
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  name!: string;

  /** Its limits; a limit that is absent is unlimited. */
  @Column('jsonb')
  quotas!: Quotas;

  /** Raised by every change (see entityTag). */
  @Column('int')
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
