import { createHash } from 'node:crypto';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import {
  Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleOptions,
} from '@temporalio/client';
import { SCHEDULED_BACKUP_WORKFLOW, TaskQueue, backupScheduleId, type BackupPolicy } from '@fedops/contracts';
import { describeError } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import { TenantEntity } from '../tenants/tenant.entity';

const HOUR_MS = 3600_000;

/** Who a scheduled backup's operation names as having asked for it. */
export const SCHEDULE_REQUESTER = 'schedule';

/**
 * The Temporal Schedule of each tenant's backups (one per tenant, every `intervalHours`, at an
 * offset drawn from the tenant id so that a fleet's backups spread over the interval instead of
 * starting together). A run that would overlap a running one is skipped; a run missed while
 * Temporal was down is caught up within an hour.
 */
@Injectable()
export class BackupSchedules implements OnApplicationBootstrap {
  private readonly log;

  constructor(
    private readonly client: Client,
    private readonly dataSource: DataSource,
    logger: JsonLogger,
  ) {
    this.log = logger.child('backup-schedules');
  }

  /**
   * Puts every running tenant's schedule in step with its policy, in the background: a schedule
   * whose creation was lost (tenant-api stopped between a deploy's end and it) is made here.
   */
  onApplicationBootstrap(): void {
    void this.sweep().catch((err: unknown) =>
      this.log.error('backup schedules not swept', { error: describeError(err) }),
    );
  }

  private async sweep(): Promise<void> {
    const tenants = await this.dataSource
      .getRepository(TenantEntity)
      .find({ where: { status: In(['ready', 'updating', 'restoring']) } });
    for (const tenant of tenants) await this.apply(tenant.id, tenant.backupPolicy);
    this.log.info('backup schedules swept', { tenants: tenants.length });
  }

  /** Creates or updates the tenant's schedule to its policy; a policy without backups removes it. */
  async apply(tenantId: string, policy: BackupPolicy): Promise<void> {
    if (policy.intervalHours === 0) {
      await this.remove(tenantId);
      return;
    }
    const scheduleId = backupScheduleId(tenantId);
    const spec = scheduleSpec(tenantId, policy.intervalHours);
    try {
      await this.client.schedule.create({
        scheduleId,
        spec,
        action: {
          type: 'startWorkflow',
          workflowType: SCHEDULED_BACKUP_WORKFLOW,
          workflowId: `${scheduleId}-run`,
          taskQueue: TaskQueue.workflows,
          args: [{ tenantId }],
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: HOUR_MS },
      });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await this.client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec }));
    }
  }

  /** Removes the tenant's schedule; idempotent. */
  async remove(tenantId: string): Promise<void> {
    try {
      await this.client.schedule.getHandle(backupScheduleId(tenantId)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
}

/** Every `intervalHours`, offset within the interval by a stable hash of the tenant id. Pure. */
export function scheduleSpec(tenantId: string, intervalHours: number): NonNullable<ScheduleOptions['spec']> {
  const every = intervalHours * HOUR_MS;
  const hash = createHash('sha256').update(tenantId).digest().readUInt32BE(0);
  const offset = Math.floor(((hash / 0x1_0000_0000) * every) / 60_000) * 60_000;
  return { intervals: [{ every, offset }] };
}
