import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An operator of an organisation: a subject of an identity provider, in one organisation at most. */
@Entity({ name: 'organisation_members' })
export class OrganisationMemberEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'org_id' })
  orgId!: string;

  /** Issuer identifier of the identity provider the subject belongs to. */
  @Column('text')
  issuer!: string;

  /** `sub` of the member's access tokens. */
  @Column('text')
  subject!: string;

  @Column('text')
  role!: 'operator';

  /** Subject of the ops staff member who added them. */
  @Column('text', { name: 'added_by' })
  addedBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
