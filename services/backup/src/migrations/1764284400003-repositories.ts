import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Repositories1764284400003 implements MigrationInterface {
  name = 'Repositories1764284400003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE repositories (
        tenant_id uuid PRIMARY KEY,
        target text NOT NULL,
        location text NOT NULL,
        restic_id text,
        password_sealed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE repositories`);
  }
}
