import {
  newRecord,
  transition,
  type ComponentRecord,
  type ComponentState,
  type LifecycleEvent,
} from './component-lifecycle';
import { DEFAULT_RESTART_POLICY, formatDuration, type RestartPolicy } from './restart-policy';

/** A running process as the supervisor sees it: ManagedProcess, RunningComponent and the issuer handle all fit. */
export interface SupervisedProcess {
  readonly pid: number | undefined;
  /** Aborted when the process exits; the reason says how (ProcessExitedError carries code/signal). */
  readonly exited: AbortSignal;
}

export interface SupervisedComponent {
  readonly name: string;
  readonly logFile: string | undefined;
  /** Starts the component again (same ports, same data) and resolves once it is ready. */
  restart(): Promise<SupervisedProcess>;
}

export interface ComponentStatus {
  readonly name: string;
  readonly state: ComponentState;
  readonly pid: number | null;
  readonly restarts: number;
  readonly lastExit: { readonly at: string; readonly how: string } | null;
  readonly uptimeMs: number | null;
  readonly logFile: string | null;
  /** Why the last restart failed, or why it was given up. */
  readonly problem: string | null;
}

export interface SupervisorOptions {
  readonly policy?: Partial<RestartPolicy>;
  /** Where lines for the operator go. Default stderr. */
  readonly say?: (line: string) => void;
  /** The last lines of a log file, for the give-up message. */
  readonly logTail?: (file: string) => Promise<string>;
  /** Called once a component was given up (after the message was printed). */
  readonly onGiveUp?: (name: string, reason: string) => void;
  readonly now?: () => number;
}

interface Entry {
  readonly component: SupervisedComponent;
  record: ComponentRecord;
  timer: NodeJS.Timeout | undefined;
  /** Detaches the listener on the current process' `exited`. */
  unwatch: (() => void) | undefined;
  /** A restart in flight. */
  starting: Promise<void> | undefined;
}

/**
 * Watches the processes the launcher started: logs each exit, restarts with backoff, gives up loudly
 * after too many restarts, and reports every component's state. Restart wiring lives in the
 * components' `restart()`; the decisions live in component-lifecycle.ts and restart-policy.ts.
 */
export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private readonly policy: RestartPolicy;
  private readonly say: (line: string) => void;
  private readonly now: () => number;
  private supervising = true;

  constructor(private readonly options: SupervisorOptions = {}) {
    this.policy = { ...DEFAULT_RESTART_POLICY, ...options.policy };
    this.say = options.say ?? ((line) => process.stderr.write(`[fedops] ${line}\n`));
    this.now = options.now ?? Date.now;
  }

  /** Registers a component that is being started (state `starting`). */
  add(component: SupervisedComponent): void {
    if (this.entries.has(component.name)) throw new Error(`${component.name} is supervised already`);
    this.entries.set(component.name, {
      component,
      record: newRecord(component.name),
      timer: undefined,
      unwatch: undefined,
      starting: undefined,
    });
  }

  /** The component's first start succeeded: from now on an exit is a crash. */
  started(name: string, process: SupervisedProcess): void {
    this.watch(this.entry(name), process);
  }

  status(): ComponentStatus[] {
    const now = this.now();
    return [...this.entries.values()].map(({ component, record }) => ({
      name: record.name,
      state: record.state,
      pid: record.pid ?? null,
      restarts: record.restarts,
      lastExit: record.lastExit
        ? { at: new Date(record.lastExit.at).toISOString(), how: record.lastExit.how }
        : null,
      uptimeMs:
        record.state === 'running' && record.runningSince !== undefined ? now - record.runningSince : null,
      logFile: component.logFile ?? null,
      problem: record.problem ?? null,
    }));
  }

  /**
   * Stops supervising (before the launcher stops the processes, so a stop is not taken for a crash):
   * pending restarts are cancelled, restarts in flight are awaited, every component becomes `stopped`.
   */
  async stop(): Promise<void> {
    this.supervising = false;
    for (const entry of this.entries.values()) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      entry.unwatch?.();
      entry.unwatch = undefined;
    }
    await Promise.allSettled([...this.entries.values()].map((entry) => entry.starting));
    for (const entry of this.entries.values()) this.apply(entry, { type: 'stopped' });
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new Error(`${name} is not supervised`);
    return entry;
  }

  private watch(entry: Entry, process: SupervisedProcess): void {
    this.apply(entry, { type: 'started', at: this.now(), pid: process.pid });
    const onExit = (): void => {
      entry.unwatch = undefined;
      if (!this.supervising) return;
      const how = exitDescription(process.exited.reason);
      const up = entry.record.runningSince === undefined ? 0 : this.now() - entry.record.runningSince;
      this.say(
        `${entry.component.name} (pid ${process.pid ?? '?'}) exited with ${how} after ${formatDuration(up)}`,
      );
      this.apply(entry, { type: 'exited', at: this.now(), how });
    };
    if (process.exited.aborted) {
      onExit();
      return;
    }
    process.exited.addEventListener('abort', onExit, { once: true });
    entry.unwatch = () => process.exited.removeEventListener('abort', onExit);
  }

  private apply(entry: Entry, event: LifecycleEvent): void {
    const { record, command } = transition(entry.record, event, this.policy);
    entry.record = record;
    switch (command.type) {
      case 'none':
        return;
      case 'restart-after':
        this.say(
          `restarting ${entry.component.name} in ${formatDuration(command.delayMs)} (restart ${record.restarts})`,
        );
        entry.timer = setTimeout(() => {
          entry.timer = undefined;
          entry.starting = this.restart(entry).finally(() => (entry.starting = undefined));
        }, command.delayMs);
        return;
      case 'give-up':
        void this.giveUp(entry, command.reason);
        return;
    }
  }

  private async restart(entry: Entry): Promise<void> {
    if (!this.supervising) return;
    let process: SupervisedProcess;
    try {
      process = await entry.component.restart();
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      if (!this.supervising) return;
      this.say(`${entry.component.name} did not start again: ${firstLine(message)}`);
      this.apply(entry, { type: 'start-failed', at: this.now(), error: firstLine(message) });
      return;
    }
    if (!this.supervising) return; // the launcher stops it with everything else
    this.say(`${entry.component.name} is running again (pid ${process.pid ?? '?'})`);
    this.watch(entry, process);
  }

  private async giveUp(entry: Entry, reason: string): Promise<void> {
    const { name, logFile } = entry.component;
    const tail =
      logFile === undefined || this.options.logTail === undefined
        ? '(no log file)'
        : await this.options.logTail(logFile).catch(() => '(log unreadable)');
    const rule = '='.repeat(72);
    this.say(
      [
        rule,
        `GAVE UP on ${name}: ${reason}.`,
        `Its last exit: ${entry.record.lastExit?.how ?? 'none'}. It stays down; everything else keeps running.`,
        `Fix the cause, then restart the platform (Ctrl-C, npm start). Last lines of ${logFile ?? 'its log'}:`,
        tail,
        rule,
      ].join('\n'),
    );
    this.options.onGiveUp?.(name, reason);
  }
}

/** `signal SIGKILL`, `code 1`, from a ProcessExitedError (or whatever the reason says). */
export function exitDescription(reason: unknown): string {
  if (typeof reason === 'object' && reason !== null) {
    const { signal, code } = reason as { signal?: unknown; code?: unknown };
    if (typeof signal === 'string') return `signal ${signal}`;
    if (typeof code === 'number') return `code ${code}`;
  }
  const message = reason instanceof Error ? reason.message : String(reason);
  return /exited with (.+)$/.exec(message)?.[1] ?? message;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
