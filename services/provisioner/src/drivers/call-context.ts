import { Context } from '@temporalio/activity';
import type { DriverCallContext } from './resource-provider.driver';

/** Inside an activity: Temporal's cancellation and heartbeat. */
export function activityCallContext(): DriverCallContext {
  const activity = Context.current();
  return {
    signal: activity.cancellationSignal,
    heartbeat: (details?: unknown) => activity.heartbeat(details),
  };
}

/** Outside an activity (a request/reply handler): a deadline instead of a cancellation, no heartbeat. */
export function deadlineCallContext(ms: number): DriverCallContext {
  return { signal: AbortSignal.timeout(ms), heartbeat: () => undefined };
}
