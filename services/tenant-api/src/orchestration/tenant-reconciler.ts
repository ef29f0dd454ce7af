import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, In, LessThan } from 'typeorm';
import { JsonLogger } from '@fedops/service-kit';
import { describeError } from '@fedops/domain';
import { TenantEntity } from '../tenants/tenant.entity';
import { TenantService } from '../tenants/tenant.service';

const SWEEP_INTERVAL_MS = 30_000;
/** Tenants younger than this are left to the request that created them. */
const GRACE_MS = 15_000;

/**
 * The desired state is written before its workflow starts (an outbox): if Temporal was unreachable
 * or the process died in between, this sweep starts the missing workflow. Starting is idempotent
 * (workflow ids derive from the tenant), so a workflow that exists is left alone.
 */
@Injectable()
export class TenantReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantService,
    logger: JsonLogger,
  ) {
    this.log = logger.child('reconciler');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweepUnlessRunning(), SWEEP_INTERVAL_MS);
    this.timer.unref();
    void this.sweepUnlessRunning();
  }

  private running = false;

  /** A sweep slowed by an unreachable Temporal never overlaps the next one. */
  private async sweepUnlessRunning(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.sweep();
    } finally {
      this.running = false;
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Returns how many tenants it looked at. */
  async sweep(): Promise<number> {
    try {
      const pending = await this.dataSource.getRepository(TenantEntity).find({
        where: {
          status: In(['provisioning', 'deleting']),
          updatedAt: LessThan(new Date(Date.now() - GRACE_MS)),
        },
        // Oldest first, so a backlog after an outage is worked through rather than starved.
        order: { updatedAt: 'ASC' },
        take: 100,
      });
      for (const tenant of pending) await this.tenants.ensureWorkflow(tenant);
      return pending.length;
    } catch (err) {
      this.log.warn('reconciliation sweep failed', { error: describeError(err) });
      return 0;
    }
  }
}
