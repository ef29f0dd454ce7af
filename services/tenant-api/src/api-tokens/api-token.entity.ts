import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '../auth/principal';
import type { Scope } from '../auth/scopes';

/** An API token: its secret is known only as a SHA-256 digest. */
@Entity({ name: 'api_tokens' })
export class ApiTokenEntity {
  /** The public part of the token (`fdo_<id>_...`): 24 hex digits. */
  @PrimaryColumn('text')
  id!: string;

  @Column('text')
  name!: string;

  @Column('bytea', { name: 'secret_sha256' })
  secretSha256!: Buffer;

  /** The roles of its creator when it was made. */
  @Column('text', { array: true })
  roles!: Role[];

  /** The organisation of an operator's token. */
  @Column('text', { name: 'org_id', nullable: true })
  orgId!: string | null;

  @Column('text', { array: true })
  scopes!: Scope[];

  @Column('text', { name: 'created_by' })
  createdBy!: string;

  @Column('text', { name: 'created_by_issuer' })
  createdByIssuer!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'expires_at', precision: 3 })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', name: 'revoked_at', precision: 3, nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'timestamptz', name: 'last_used_at', precision: 3, nullable: true })
  lastUsedAt!: Date | null;
}
