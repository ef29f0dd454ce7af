import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import type { ServiceMetrics } from '../metrics/service-metrics';
import type { ContextLogger } from '../logging/json-logger';
import { describeError } from '@fedops/domain';
import { toActivityFailure } from './activity-failure';

/** Counts, times and logs every activity attempt of a worker, and maps domain errors to Temporal failures. */
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
    }
  }
}
