import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { findApp, type AppSecret } from '@fedops/catalog';
import type { RevealedAdminPassword } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { SecretBox } from '@fedops/service-kit';
import { generateSecret } from './secret-generator';
import { TenantSecretEntity } from './tenant-secret.entity';

/** One secret a configuration needs. */
export interface SecretRequest {
  app: string;
  secret: Pick<AppSecret, 'name' | 'generate'>;
}

/** Where the deployment pipeline gets secret values from. */
export interface SecretSource {
  /** The value of each requested secret, generated and stored on first request; keyed `<app>/<name>`. */
  valuesFor(tenantId: string, requests: readonly SecretRequest[]): Promise<Map<string, string>>;
}

export const secretKey = (app: string, name: string): string => `${app}/${name}`;
const context = (tenantId: string, app: string, name: string): string =>
  `tenant-secret:${tenantId}/${app}/${name}`;

/**
 * Per-tenant app secrets in the deployer's schema: generated once, sealed at rest, the same value on
 * every later deploy (a retried or repeated deploy never rotates a database password under an app).
 */
@Injectable()
export class TenantSecretService implements SecretSource {
  constructor(
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
  ) {}

  async valuesFor(tenantId: string, requests: readonly SecretRequest[]): Promise<Map<string, string>> {
    const repo = this.dataSource.getRepository(TenantSecretEntity);
    if (requests.length > 0) {
      // Concurrent deploys of one tenant race here; the first insert wins and both read it back.
      await repo
        .createQueryBuilder()
        .insert()
        .values(
          requests.map((r) => ({
            tenantId,
            app: r.app,
            name: r.secret.name,
            sealed: this.box.seal(generateSecret(r.secret.generate), context(tenantId, r.app, r.secret.name)),
          })),
        )
        .orIgnore()
        .execute();
    }
    const rows = await repo.find({ where: { tenantId } });
    const values = new Map<string, string>();
    for (const row of rows)
      values.set(
        secretKey(row.app, row.name),
        this.box.open(row.sealed, context(tenantId, row.app, row.name)),
      );
    for (const r of requests) {
      if (!values.has(secretKey(r.app, r.secret.name)))
        throw new Error(`Secret ${r.app}/${r.secret.name} of tenant ${tenantId} was not stored`);
    }
    return values;
  }

  /**
   * The first admin's password of a tenant's app, once. The row is marked revealed by the statement
   * that reads it (`revealed_at IS NULL` in its WHERE), so of concurrent calls exactly one gets the
   * value; it is opened in the same transaction, so a value that cannot be opened stays unrevealed.
   * CONFLICT: the app has no admin account, or the tenant was not deployed (no password stored).
   * GONE: revealed before (`revealedAt` in the extensions).
   */
  async revealAdminPassword(tenantId: string, appId: string): Promise<RevealedAdminPassword> {
    const app = findApp(appId);
    if (app === undefined)
      throw FedopsError.validation([{ field: 'app', message: `is not a catalog app: "${appId}"` }]);
    if (app.admin === undefined)
      throw new FedopsError(FedopsErrorCode.Conflict, `${app.name} (${app.id}) has no admin account`);
    const name = app.admin.passwordSecret;
    const where = 'tenant_id = $1 AND app = $2 AND name = $3';
    const params = [tenantId, app.id, name];
    return this.dataSource.transaction(async (tx) => {
      // TypeORM answers an UPDATE with [rows, affected].
      const [rows] = (await tx.query(
        `UPDATE tenant_secrets SET revealed_at = now() WHERE ${where} AND revealed_at IS NULL
          RETURNING sealed, revealed_at`,
        params,
      )) as [Array<{ sealed: string; revealed_at: Date }>, number];
      const row = rows[0];
      if (row !== undefined) {
        return {
          password: this.box.open(row.sealed, context(tenantId, app.id, name)),
          revealedAt: row.revealed_at.toISOString(),
        };
      }
      const stored = (await tx.query(
        `SELECT revealed_at FROM tenant_secrets WHERE ${where}`,
        params,
      )) as Array<{
        revealed_at: Date | null;
      }>;
      const revealedAt = stored[0]?.revealed_at?.toISOString();
      if (revealedAt === undefined) {
        throw new FedopsError(
          FedopsErrorCode.Conflict,
          `Tenant ${tenantId} is not deployed yet: the admin account of ${app.id} is made by its first deployment`,
        );
      }
      throw new FedopsError(
        FedopsErrorCode.Gone,
        `The admin credentials of ${app.id} were already revealed at ${revealedAt}; they are shown only once ` +
          '(the audit log says who asked for them)',
        { extensions: { revealedAt } },
      );
    });
  }

  async removeAll(tenantId: string): Promise<number> {
    const result = await this.dataSource.getRepository(TenantSecretEntity).delete({ tenantId });
    return result.affected ?? 0;
  }
}
