import { decideRestart, NO_RESTARTS, type RestartHistory, type RestartPolicy } from './restart-policy';

/**
 * The life of one supervised component as a pure state machine:
 *
 *   starting --started--> running --exited--> restarting --(delay)--> start again --started--> running
 *                                     \--too many restarts--> failed
 *   any --stopped--> stopped (a stop is never taken for a crash)
 */
export type ComponentState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export interface ComponentRecord {
  readonly name: string;
  readonly state: ComponentState;
  readonly pid: number | undefined;
  /** Restarts attempted so far (a restart whose start failed counts too). */
  readonly restarts: number;
  /** When it last started running (epoch ms). */
  readonly runningSince: number | undefined;
  readonly lastExit: { readonly at: number; readonly how: string } | undefined;
  /** Why the last start failed, or why we gave up. */
  readonly problem: string | undefined;
  readonly history: RestartHistory;
}

export type LifecycleEvent =
  | { readonly type: 'started'; readonly at: number; readonly pid: number | undefined }
  | { readonly type: 'exited'; readonly at: number; readonly how: string }
  | { readonly type: 'start-failed'; readonly at: number; readonly error: string }
  | { readonly type: 'stopped' };

export type LifecycleCommand =
  | { readonly type: 'none' }
  | { readonly type: 'restart-after'; readonly delayMs: number }
  | { readonly type: 'give-up'; readonly reason: string };

export function newRecord(name: string): ComponentRecord {
  return {
    name,
    state: 'starting',
    pid: undefined,
    restarts: 0,
    runningSince: undefined,
    lastExit: undefined,
    problem: undefined,
    history: NO_RESTARTS,
  };
}

const NONE: LifecycleCommand = { type: 'none' };

export function transition(
  record: ComponentRecord,
  event: LifecycleEvent,
  policy: RestartPolicy,
): { record: ComponentRecord; command: LifecycleCommand } {
  if (record.state === 'stopped') return { record, command: NONE }; // nothing happens after a stop
  switch (event.type) {
    case 'stopped':
      return { record: { ...record, state: 'stopped' }, command: NONE };
    case 'started':
      if (record.state === 'failed') return { record, command: NONE };
      return {
        record: { ...record, state: 'running', pid: event.pid, runningSince: event.at, problem: undefined },
        command: NONE,
      };
    case 'exited': {
      if (record.state !== 'running') return { record, command: NONE };
      const upMs = event.at - (record.runningSince ?? event.at);
      const exited = { ...record, pid: undefined, lastExit: { at: event.at, how: event.how } };
      return afterDown(exited, event.at, upMs, policy);
    }
    case 'start-failed': {
      if (record.state !== 'starting' && record.state !== 'restarting') return { record, command: NONE };
      return afterDown({ ...record, pid: undefined, problem: event.error }, event.at, 0, policy);
    }
  }
}

function afterDown(
  record: ComponentRecord,
  at: number,
  upMs: number,
  policy: RestartPolicy,
): { record: ComponentRecord; command: LifecycleCommand } {
  const decision = decideRestart(policy, record.history, at, upMs);
  if (decision.kind === 'give-up') {
    const reason =
      record.problem === undefined
        ? decision.reason
        : `${decision.reason}; last start failure: ${record.problem}`;
    return {
      record: { ...record, state: 'failed', runningSince: undefined, problem: reason },
      command: { type: 'give-up', reason },
    };
  }
  return {
    record: {
      ...record,
      state: 'restarting',
      runningSince: undefined,
      restarts: record.restarts + 1,
      history: decision.history,
    },
    command: { type: 'restart-after', delayMs: decision.delayMs },
  };
}
