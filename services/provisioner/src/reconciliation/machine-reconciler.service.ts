import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import {
  PLATFORM_EVENT_SCOPE,
  type MachineCleanupResult,
  type MachineFinding,
  type ReconcileReport,
} from '@fedops/contracts';
import { describeError } from '@fedops/domain';
import { EventPublisher, JsonLogger } from '@fedops/service-kit';
import { OWNER_LABELS, type DriverCallContext } from '../drivers/resource-provider.driver';
import { MachineEntity } from '../machines/machine.entity';
import { MachinePlatform } from '../machines/machine-platform';
import { ProviderEntity } from '../providers/provider.entity';
import { ProviderRegistry } from '../providers/provider-registry.service';
import { compareInventory, type Discrepancy } from './compare-inventory';
import { MachineFindingEntity } from './machine-finding.entity';

/**
 * Compares the inventory with every provider (run by a Temporal Schedule), keeps what it finds in
 * `machine_findings` (first and last seen), announces each new finding once, and deletes orphans only
 * when ops ask — after a dry run, and each confirmed again at its provider right before.
 */
@Injectable()
export class MachineReconciler {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProviderRegistry,
    private readonly platform: MachinePlatform,
    private readonly events: EventPublisher,
    logger: JsonLogger,
  ) {
    this.log = logger.child('machine-reconciler');
  }

  async reconcile(ctx: DriverCallContext): Promise<ReconcileReport> {
    const checkedAt = new Date();
    const providerRows = await this.dataSource.getRepository(ProviderEntity).find({ order: { name: 'ASC' } });
    const report: ReconcileReport = { checkedAt: checkedAt.toISOString(), providers: [], findings: [] };
    for (const provider of providerRows) {
      try {
        const found = await this.reconcileProvider(provider, ctx);
        report.providers.push({
          providerId: provider.id,
          name: provider.name,
          ok: true,
          machines: found.machines,
        });
      } catch (err) {
        // A provider that cannot be asked keeps its earlier findings; the others go on.
        report.providers.push({
          providerId: provider.id,
          name: provider.name,
          ok: false,
          error: describeError(err),
          machines: 0,
        });
        this.log.warn('provider could not be reconciled', {
          provider: provider.name,
          error: describeError(err),
        });
      }
    }
    report.findings = await this.findings();
    await this.dataSource.query(
      `INSERT INTO machine_reconciliations (id, report) VALUES (1, $1)
       ON CONFLICT (id) DO UPDATE SET report = EXCLUDED.report`,
      [JSON.stringify(report)],
    );
    return report;
  }

  /** The last reconciliation's report with the findings as they stand now; null before the first run. */
  async lastReport(): Promise<ReconcileReport | null> {
    const rows = (await this.dataSource.query(
      `SELECT report FROM machine_reconciliations WHERE id = 1`,
    )) as Array<{
      report: ReconcileReport;
    }>;
    const last = rows[0]?.report;
    return last === undefined ? null : { ...last, findings: await this.findings() };
  }

  async cleanup(dryRun: boolean, ctx: DriverCallContext): Promise<MachineCleanupResult> {
    const orphans = await this.dataSource
      .getRepository(MachineFindingEntity)
      .find({ where: { kind: 'orphan' } });
    const result: MachineCleanupResult = { dryRun, orphans: [], skipped: [] };
    const names = await this.providerNames();
    for (const finding of orphans) {
      const providerName = names.get(finding.providerId) ?? finding.providerId;
      const { driver } = await this.providers.driverFor(finding.providerId);
      const now = await driver.get(finding.externalId, ctx);
      const adopted =
        now !== undefined &&
        (await this.dataSource
          .getRepository(MachineEntity)
          .existsBy([
            { externalId: finding.externalId, providerId: finding.providerId },
            ...(now.labels[OWNER_LABELS.machineId] !== undefined &&
            UUID.test(now.labels[OWNER_LABELS.machineId] ?? '')
              ? [{ id: now.labels[OWNER_LABELS.machineId] as string }]
              : []),
          ]));
      const why =
        now === undefined
          ? 'gone at the provider'
          : now.labels[OWNER_LABELS.platform] !== this.platform.label
            ? "no longer carries this platform's label"
            : adopted
              ? 'now known to the inventory'
              : undefined;
      if (why !== undefined) {
        result.skipped.push({ externalId: finding.externalId, providerName, why });
        await this.dataSource.getRepository(MachineFindingEntity).delete({
          providerId: finding.providerId,
          externalId: finding.externalId,
          kind: 'orphan',
        });
        continue;
      }
      if (!dryRun) {
        await driver.delete(finding.externalId, ctx);
        await this.dataSource.getRepository(MachineFindingEntity).delete({
          providerId: finding.providerId,
          externalId: finding.externalId,
          kind: 'orphan',
        });
        this.log.info('orphan deleted', {
          provider: providerName,
          externalId: finding.externalId,
          name: finding.name,
        });
      }
      result.orphans.push(toFinding(finding, providerName));
    }
    return result;
  }

  private async reconcileProvider(
    provider: ProviderEntity,
    ctx: DriverCallContext,
  ): Promise<{ machines: number }> {
    const { driver } = await this.providers.driverFor(provider.id);
    const listed = await driver.listByLabels({ [OWNER_LABELS.platform]: this.platform.label }, ctx);
    // Read after listing: a machine listed has its row by now (rows are written before creates).
    const rows = await this.dataSource
      .getRepository(MachineEntity)
      .find({ where: { providerId: provider.id } });
    const { orphans, missingCandidates } = compareInventory(listed, rows);
    const missing: Discrepancy[] = [];
    for (const row of missingCandidates) {
      // Not listed by label (a machine made before labels, a label removed by hand): look it up by id.
      if ((await driver.get(row.externalId as string, ctx)) !== undefined) continue;
      missing.push({
        kind: 'missing',
        externalId: row.externalId as string,
        name: row.name,
        machineId: row.id,
        tenantId: row.tenantId,
      });
    }
    await this.record(provider, [...orphans, ...missing]);
    return { machines: listed.length };
  }

  /** Replaces the provider's findings with these, keeping first-seen times; announces the new ones. */
  private async record(provider: ProviderEntity, current: Discrepancy[]): Promise<void> {
    const repo = this.dataSource.getRepository(MachineFindingEntity);
    const before = await repo.find({ where: { providerId: provider.id } });
    const key = (f: { kind: string; externalId: string }): string => `${f.kind}/${f.externalId}`;
    const known = new Map(before.map((f) => [key(f), f]));
    const now = new Date();
    const fresh: MachineFindingEntity[] = [];
    const rows = current.map((d) => {
      const previous = known.get(key(d));
      const entity = repo.create({
        providerId: provider.id,
        externalId: d.externalId,
        kind: d.kind,
        name: d.name,
        machineId: d.machineId,
        tenantId: d.tenantId,
        firstSeenAt: previous?.firstSeenAt ?? now,
        lastSeenAt: now,
      });
      if (previous === undefined) fresh.push(entity);
      return entity;
    });
    const stale = before.filter((f) => !current.some((d) => key(d) === key(f)));
    await this.dataSource.transaction(async (tx) => {
      const txRepo = tx.getRepository(MachineFindingEntity);
      for (const f of stale) {
        await txRepo.delete({ providerId: f.providerId, externalId: f.externalId, kind: f.kind });
      }
      if (rows.length > 0) await txRepo.save(rows);
    });
    for (const f of fresh) {
      this.log.warn(
        f.kind === 'orphan' ? 'orphan machine found' : 'inventory machine missing at its provider',
        {
          provider: provider.name,
          externalId: f.externalId,
          name: f.name,
          machineId: f.machineId,
        },
      );
      await this.events.publish(
        f.tenantId ?? PLATFORM_EVENT_SCOPE,
        f.kind === 'orphan' ? 'machine.orphaned' : 'machine.missing',
        `machine-finding/${provider.id}/${f.kind}/${f.externalId}/${f.firstSeenAt.toISOString()}`,
        {
          provider: provider.name,
          providerId: provider.id,
          externalId: f.externalId,
          name: f.name,
          machineId: f.machineId,
        },
      );
    }
  }

  private async findings(): Promise<MachineFinding[]> {
    const rows = await this.dataSource
      .getRepository(MachineFindingEntity)
      .find({ order: { firstSeenAt: 'ASC', externalId: 'ASC' } });
    const names = await this.providerNames(rows.map((r) => r.providerId));
    return rows.map((r) => toFinding(r, names.get(r.providerId) ?? r.providerId));
  }

  private async providerNames(ids?: string[]): Promise<Map<string, string>> {
    const rows = await this.dataSource
      .getRepository(ProviderEntity)
      .find({ select: { id: true, name: true }, ...(ids !== undefined ? { where: { id: In(ids) } } : {}) });
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function toFinding(f: MachineFindingEntity, providerName: string): MachineFinding {
  return {
    kind: f.kind,
    providerId: f.providerId,
    providerName,
    externalId: f.externalId,
    name: f.name,
    machineId: f.machineId,
    tenantId: f.tenantId,
    firstSeenAt: f.firstSeenAt.toISOString(),
    lastSeenAt: f.lastSeenAt.toISOString(),
  };
}
