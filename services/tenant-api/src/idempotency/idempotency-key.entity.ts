import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** The first answer to a POST carrying an Idempotency-Key, replayed for retries of that request. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  /** Whose keys these are: `org:<id>` for an organisation's callers, `sub:<subject>` for ops staff. */
  @PrimaryColumn('text')
  scope!: string;

  @PrimaryColumn('text')
  key!: string;

  @Column('text', { name: 'request_hash' })
  requestHash!: string;

  @Column('int', { name: 'status_code' })
  statusCode!: number;

  @Column('jsonb')
  body!: unknown;

  @Column('text', { nullable: true })
  location!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
