import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { DriftFinding, DriftReport } from '@fedops/contracts';
import { EventPublisher, JsonLogger } from '@fedops/service-kit';
import { OperationEntity } from '../operations/operation.entity';
import { TenantEntity } from '../tenants/tenant.entity';

/**
 * Records the drift check's findings on the tenants: `drift` set on a tenant whose machine runs
 * something else than fedops activated last (announced as `tenant.drift.detected`), cleared on one
 * in sync again. A tenant that an operation changes, or changed after the check looked, is left to
 * the next check: its machine may have been mid-switch when it was asked.
 */
@Injectable()
export class DriftRecorder {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventPublisher,
    logger: JsonLogger,
  ) {
    this.log = logger.child('drift');
  }

  async record(report: DriftReport): Promise<void> {
    const checkedAt = new Date(report.checkedAt);
    for (const finding of report.drifted) {
      const marked = await this.dataSource.transaction(async (tx) => {
        const tenant = await this.settledSince(tx, finding.tenantId, checkedAt);
        if (tenant === undefined || sameFinding(tenant, finding)) return undefined;
        tenant.drift = {
          detectedAt: new Date().toISOString(),
          expected: finding.expected,
          found: finding.found,
        };
        await tx.getRepository(TenantEntity).save(tenant);
        return tenant;
      });
      if (marked === undefined) continue;
      this.log.warn('tenant drifted', { ...finding });
      const { generation, configHash } = finding.found;
      await this.events.publish(
        finding.tenantId,
        'tenant.drift.detected',
        `drift/${finding.tenantId}/${generation ?? 'none'}/${configHash ?? 'unknown'}/${finding.expected.generation}`,
        { machineId: finding.machineId, expected: finding.expected, found: finding.found },
      );
    }
    for (const tenantId of report.inSync) {
      const cleared = await this.dataSource.transaction(async (tx) => {
        const tenant = await this.settledSince(tx, tenantId, checkedAt);
        if (tenant === undefined || tenant.drift === null) return false;
        tenant.drift = null;
        await tx.getRepository(TenantEntity).save(tenant);
        return true;
      });
      if (cleared) this.log.info('tenant in sync again', { tenantId });
    }
    for (const u of report.unreachable) this.log.warn('drift check could not reach a machine', { ...u });
  }

  /** The tenant, locked, if no operation runs on it and its latest one ended before `checkedAt`. */
  private async settledSince(
    tx: EntityManager,
    tenantId: string,
    checkedAt: Date,
  ): Promise<TenantEntity | undefined> {
    const tenant = await tx
      .getRepository(TenantEntity)
      .findOne({ where: { id: tenantId }, lock: { mode: 'pessimistic_write' } });
    if (tenant === null || (tenant.status !== 'ready' && tenant.status !== 'failed')) return undefined;
    const latest = await tx.getRepository(OperationEntity).findOneBy({ id: tenant.lastOperationId });
    if (latest === null || latest.finishedAt === null || latest.finishedAt > checkedAt) return undefined;
    return tenant;
  }
}

function sameFinding(tenant: TenantEntity, finding: DriftFinding): boolean {
  const drift = tenant.drift;
  return (
    drift !== null &&
    drift.found.generation === finding.found.generation &&
    drift.found.configHash === finding.found.configHash &&
    drift.expected.generation === finding.expected.generation
  );
}
