/**
 * Hetzner's asynchronous model: every change is an action `{id, command, status, progress, started,
 * finished, resources, error}` that is `running` until it ends in `success` or `error`. While one runs
 * on a server, the server is `locked` and other actions on it are refused with 423.
 */

export type ActionStatus = 'running' | 'success' | 'error';

export interface ActionRecord {
  id: number;
  command: string;
  status: ActionStatus;
  /** Epoch ms. */
  startedAt: number;
  /** How long it is expected to run: progress creeps towards 100 over it. */
  expectedMs: number;
  finishedAt: number | null;
  error: { code: string; message: string } | null;
  resources: Array<{ id: number; type: string }>;
}

export interface ActionJson {
  id: number;
  command: string;
  status: ActionStatus;
  progress: number;
  started: string;
  finished: string | null;
  resources: Array<{ id: number; type: string }>;
  error: { code: string; message: string } | null;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** What the state file keeps of the actions. */
export interface SavedActions {
  nextId: number;
  actions: ActionRecord[];
}

export class ActionBook {
  private readonly actions = new Map<number, ActionRecord>();
  /** Action ids look like the API's (large, increasing). */
  private nextId = 1_600_000_000 + Math.floor(Math.random() * 1000) * 1000;
  /** Called after every change (the simulator saves its state file). */
  onChange: () => void = () => undefined;

  constructor(private readonly now: () => number = Date.now) {}

  save(): SavedActions {
    return { nextId: this.nextId, actions: this.all().map((a) => ({ ...a })) };
  }

  /**
   * Takes the actions of a state file. An action that was running when the simulator stopped ends
   * in `error` (`action_failed`, "interrupted"): its work died with the process, and a client waiting
   * on it learns so, as it would of an action that failed on the API.
   */
  restore(saved: SavedActions): void {
    this.actions.clear();
    for (const action of saved.actions) this.actions.set(action.id, { ...action });
    this.nextId = saved.actions.reduce((next, a) => Math.max(next, a.id + 1), saved.nextId);
    for (const action of this.actions.values()) {
      this.fail(action, {
        code: 'action_failed',
        message: `${action.command} was interrupted: the simulator restarted while it ran`,
      });
    }
  }

  start(command: string, resources: Array<{ id: number; type: string }>, expectedMs: number): ActionRecord {
    const action: ActionRecord = {
      id: this.nextId++,
      command,
      status: 'running',
      startedAt: this.now(),
      expectedMs: Math.max(1, expectedMs),
      finishedAt: null,
      error: null,
      resources,
    };
    this.actions.set(action.id, action);
    this.onChange();
    return action;
  }

  succeed(action: ActionRecord): void {
    if (action.status !== 'running') return;
    action.status = 'success';
    action.finishedAt = this.now();
    this.onChange();
  }

  fail(action: ActionRecord, error: { code: string; message: string }): void {
    if (action.status !== 'running') return;
    action.status = 'error';
    action.error = error;
    action.finishedAt = this.now();
    this.onChange();
  }

  get(id: number): ActionRecord | undefined {
    return this.actions.get(id);
  }

  all(): ActionRecord[] {
    return [...this.actions.values()];
  }

  forResource(type: string, id: number): ActionRecord[] {
    return this.all().filter((a) => a.resources.some((r) => r.type === type && r.id === id));
  }

  /** Whether an action is running on this server (it is then `locked`). */
  isLocked(serverId: number): boolean {
    return this.forResource('server', serverId).some((a) => a.status === 'running');
  }

  progress(action: ActionRecord): number {
    if (action.status !== 'running') return 100;
    return Math.min(99, Math.floor((100 * (this.now() - action.startedAt)) / action.expectedMs));
  }

  toJson(action: ActionRecord): ActionJson {
    return {
      id: action.id,
      command: action.command,
      status: action.status,
      progress: this.progress(action),
      started: isoTime(action.startedAt),
      finished: action.finishedAt === null ? null : isoTime(action.finishedAt),
      resources: action.resources,
      error: action.error,
    };
  }
}
