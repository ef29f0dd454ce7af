import { Context } from '@temporalio/activity';

/**
 * Runs an activity's work while heartbeating every `intervalMs`, so that a worker that dies
 * mid-activity is noticed after the heartbeat timeout (not the whole start-to-close timeout).
 */
export async function withHeartbeat<T>(work: () => Promise<T>, intervalMs = 2_000): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
