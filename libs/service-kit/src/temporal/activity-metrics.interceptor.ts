import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import type { ServiceMetrics } from '../metrics/service-metrics';
import type { ContextLogger } from '../logging/json-logger';
import { describeError } from '@fedops/domain';
import { toActivityFailure } from './activity-failure';

const HEARTBEAT_INTERVAL_MS = 2_000;

/** Heartbeats for, counts, times and logs every activity attempt of a worker, and maps domain errors to Temporal failures. */
export class ActivityMetricsInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly metrics: ServiceMetrics,
    private readonly logger: ContextLogger,
  ) {}

  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const { activityType, taskQueue, workflowExecution, attempt } = this.ctx.info;
    const labels = { activity: activityType, task_queue: taskQueue };
    this.metrics.activityStarted.inc(labels);
    const end = this.metrics.activityDuration.startTimer(labels);
    // Every attempt heartbeats while it runs, so a worker that dies mid-activity is noticed after the
    // heartbeat timeout, while a slow but live attempt is never mistaken for a dead one.
    this.ctx.heartbeat();
    const heartbeats = setInterval(() => this.ctx.heartbeat(), HEARTBEAT_INTERVAL_MS);
    const started = Date.now();
    try {
      const result = await next(input);
      end({ outcome: 'success' });
      this.logger.info('activity completed', {
        activity: activityType,
        workflowId: workflowExecution?.workflowId,
        attempt,
        ms: Date.now() - started,
      });
      return result;
    } catch (err) {
      end({ outcome: 'failure' });
      const errorType = err instanceof Error ? err.name : 'unknown';
      this.metrics.activityFailed.inc({ ...labels, error_type: errorType });
      this.logger.warn('activity failed', {
        activity: activityType,
        workflowId: workflowExecution?.workflowId,
        attempt,
        error: describeError(err),
      });
      throw toActivityFailure(err);
    } finally {
      clearInterval(heartbeats);
    }
  }
}
