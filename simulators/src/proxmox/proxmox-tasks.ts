/**
 * Worker tasks as pvedaemon forks them: each has a real UPID, a log, `running` until its worker is
 * done, then `stopped` with `exitstatus` `OK`, `WARNINGS: n` or the error text (the log's last line
 * `TASK ERROR: <text>` without the prefix). While running there is no `exitstatus` field at all:
 * clients crash on `"exitstatus": null`.
 */
import { formatUpid, type Upid } from './proxmox-upid';

export interface TaskRecord extends Upid {
  upid: string;
  status: 'running' | 'stopped';
  exitstatus?: string;
  endtime?: number;
  log: string[];
  warnings: number;
}

export interface TaskContext {
  upid: string;
  log(line: string): void;
  warn(line: string): void;
  /** Waits, like a worker copying disks; never resolves once the simulator has closed. */
  sleep(ms: number): Promise<void>;
}

export type TaskWorker = (ctx: TaskContext) => Promise<void>;

/** What a restart does to a task whose worker was running: it died with the simulator. */
export const INTERRUPTED_EXIT_STATUS = 'interrupted: the simulator restarted';

/** How many finished tasks a state file keeps (running ones are always kept), newest first. */
const SAVED_TASKS = 500;

export class TaskBook {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  /** Called when a task ends (the state file is saved). */
  onChange: () => void = () => undefined;

  constructor(
    /** When the node booted (ms since the epoch): a restored cluster keeps its boot time. */
    private readonly bootedAt: () => number,
    private readonly newPid: () => number,
  ) {}

  /** Forks a worker: the UPID is returned at once, the worker runs in the background. */
  start(node: string, type: string, id: string, user: string, worker: TaskWorker): TaskRecord {
    const now = Date.now();
    const parts: Upid = {
      node,
      pid: this.newPid(),
      // Process start in clock ticks (100 Hz) since the node booted (a day before the simulator).
      pstart: Math.floor((now - this.bootedAt()) / 10) + 8_640_000,
      starttime: Math.floor(now / 1000),
      type,
      id,
      user,
    };
    const task: TaskRecord = { ...parts, upid: formatUpid(parts), status: 'running', log: [], warnings: 0 };
    this.tasks.set(task.upid, task);
    const ctx: TaskContext = {
      upid: task.upid,
      log: (line) => task.log.push(line),
      warn: (line) => {
        task.warnings += 1;
        task.log.push(`WARN: ${line}`);
      },
      sleep: (ms) => this.sleep(ms),
    };
    // The worker starts after the response is on its way, as a forked process would.
    setImmediate(() => {
      worker(ctx).then(
        () => this.finish(task, task.warnings > 0 ? `WARNINGS: ${task.warnings}` : 'OK'),
        (err: unknown) => this.finish(task, errorText(err)),
      );
    });
    return task;
  }

  get(upid: string): TaskRecord | undefined {
    return this.tasks.get(upid);
  }

  list(node: string): TaskRecord[] {
    return [...this.tasks.values()].filter((t) => t.node === node).sort((a, b) => b.starttime - a.starttime);
  }

  /** The tasks a state file keeps: every running one and the newest finished ones. */
  save(): TaskRecord[] {
    let finished = 0;
    return [...this.tasks.values()]
      .sort((a, b) => b.starttime - a.starttime)
      .filter((t) => t.status === 'running' || ++finished <= SAVED_TASKS)
      .map((t) => ({ ...t, log: [...t.log] }));
  }

  /** Takes the tasks of a state file: those still running end with INTERRUPTED_EXIT_STATUS. */
  restore(saved: readonly TaskRecord[]): void {
    this.tasks.clear();
    for (const task of saved) {
      const copy = { ...task, log: [...task.log] };
      this.tasks.set(copy.upid, copy);
      if (copy.status === 'running') this.finish(copy, INTERRUPTED_EXIT_STATUS);
    }
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private finish(task: TaskRecord, exitstatus: string): void {
    if (exitstatus === 'OK') task.log.push('TASK OK');
    else if (/^WARNINGS: \d+$/.test(exitstatus)) task.log.push(`TASK ${exitstatus}`);
    else task.log.push(`TASK ERROR: ${exitstatus}`);
    task.status = 'stopped';
    task.exitstatus = exitstatus;
    task.endtime = Math.floor(Date.now() / 1000);
    this.onChange();
  }
}

/** A worker's `die` text: its first line, without the trailing newline. */
function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').trim() || 'unexpected status';
}
