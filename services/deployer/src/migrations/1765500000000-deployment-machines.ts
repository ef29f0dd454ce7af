import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each deployment keeps the machine it was activated on (how to reach it), so the drift check can
 * ask that machine later what it runs. Rows from before have none and are not checked.
 */
export class DeploymentMachines1765500000000 implements MigrationInterface {
  name = 'DeploymentMachines1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments ADD COLUMN machine jsonb`);
    await q.query(`CREATE INDEX deployments_latest ON deployments (tenant_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX deployments_latest`);
    await q.query(`ALTER TABLE deployments DROP COLUMN machine`);
  }
}
