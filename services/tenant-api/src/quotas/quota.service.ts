import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AppSelection } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import type { Quotas } from './quotas';
import {
  addedAppsAmounts,
  amountsOf,
  newTenantAmounts,
  quotaExceededError,
  quotaExcesses,
  type QuotaAmounts,
} from './quotas';

/** Checks an organisation's quotas before anything that would use more of them is stored or started. */
@Injectable()
export class QuotaService {
  /**
   * Within the transaction that stores a new tenant, before it is stored: the organisation must exist
   * (INVALID_REFERENCE) and the tenant must fit its quotas (QUOTA_EXCEEDED). A transaction-scoped
   * advisory lock per organisation serialises the checks, so two concurrent creates cannot both fit
   * into the last place; the organisation row is share-locked so it cannot be deleted meanwhile.
   * `tenantExists`: the apps are added to a tenant that counts already (a change, not a new tenant).
   */
  async check(
    tx: EntityManager,
    orgId: string,
    request: { apps: ReadonlyArray<Pick<AppSelection, 'app'>>; tenantExists?: boolean },
  ): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('fedops.org-quota'), hashtext($1))`, [orgId]);
    const rows: Array<{ quotas: Quotas }> = await tx.query(
      `SELECT quotas FROM organisations WHERE id = $1 FOR SHARE`,
      [orgId],
    );
    const quotas = rows[0]?.quotas;
    if (quotas === undefined) {
      throw new FedopsError(
        FedopsErrorCode.InvalidReference,
        `Organisation ${orgId} does not exist (ops staff create organisations with POST /v1/organisations)`,
        { fields: [{ field: 'org', message: `no organisation ${orgId}` }] },
      );
    }
    if (Object.keys(quotas).length === 0) return;
    const excesses = quotaExcesses(
      quotas,
      await this.usage(tx, orgId),
      request.tenantExists === true ? addedAppsAmounts(request.apps) : newTenantAmounts(request.apps),
    );
    if (excesses.length > 0) throw quotaExceededError(orgId, excesses);
  }

  /** What the organisation's live tenants use of every quota. */
  async usage(manager: EntityManager, orgId: string): Promise<QuotaAmounts> {
    const [tenants]: Array<{ count: number }> = await manager.query(
      `SELECT count(*)::int AS count FROM tenants WHERE org_id = $1 AND status <> 'deleted'`,
      [orgId],
    );
    const apps: Array<{ app: string; count: number }> = await manager.query(
      `SELECT a->>'app' AS app, count(*)::int AS count
         FROM tenants t, jsonb_array_elements(t.apps) a
        WHERE t.org_id = $1 AND t.status <> 'deleted'
        GROUP BY 1`,
      [orgId],
    );
    return amountsOf(tenants?.count ?? 0, apps);
  }
}
