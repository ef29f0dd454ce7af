import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger } from '@fedops/service-kit';
import { describeError } from '@fedops/domain';
import { OperationService } from './operation.service';

const SWEEP_INTERVAL_MS = 30_000;
/** Operations changed more recently than this are left to the request or workflow handling them. */
const GRACE_MS = 15_000;
const BATCH = 100;

/**
 * The outbox and the watchdog of operations. An operation is stored before its workflow starts: if
 * Temporal was unreachable or the process died in between, a sweep starts it. A workflow that was
 * terminated or lost is noticed and its operation ended, so no tenant stays stuck. Each sweep takes
 * the open operations looked at least recently, so old stuck rows cannot starve new ones.
 */
@Injectable()
export class OperationReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly log;

  constructor(
    private readonly operations: OperationService,
    logger: JsonLogger,
  ) {
    this.log = logger.child('reconciler');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweepUnlessRunning(), SWEEP_INTERVAL_MS);
    this.timer.unref();
    void this.sweepUnlessRunning();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

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

  /** Looks at up to `limit` open operations; returns how many it looked at. */
  async sweep(limit = BATCH, graceMs = GRACE_MS): Promise<number> {
    let batch;
    try {
      batch = await this.operations.nextToReconcile(limit, graceMs);
    } catch (err) {
      this.log.warn('reconciliation sweep failed', { error: describeError(err) });
      return 0;
    }
    for (const op of batch) {
      try {
        await this.operations.reconcile(op);
      } catch (err) {
        this.log.warn('could not reconcile an operation', { operationId: op.id, error: describeError(err) });
      }
    }
    return batch.length;
  }
}
