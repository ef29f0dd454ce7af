import { isFinalOperationStatus, type OperationStatus, type OperationStep } from '@fedops/contracts';
import type { OutputStream } from './io';
import { duration } from './table';

/** Time so far, in whole seconds under a minute. */
function elapsed(ms: number): string {
  return ms < 60_000 ? `${Math.floor(ms / 1000)} s` : duration(ms);
}

/** The last line: `succeeded in 8 s`, or where it was when following stopped early. */
function outcome(op: OperationSnapshot, ms: number): string {
  return isFinalOperationStatus(op.status)
    ? `${op.status} in ${elapsed(ms)}`
    : `still ${op.status} after ${elapsed(ms)}; no longer followed`;
}

/** What a progress display shows of an operation. */
export interface OperationSnapshot {
  id: string;
  kind: string;
  status: OperationStatus;
  steps: readonly OperationStep[];
}

export interface Progress {
  /** The operation changed (a progress event, a poll). */
  update(op: OperationSnapshot): void;
  /** The operation ended, or following it stopped: the last line, then nothing more. */
  finish(op: OperationSnapshot): void;
}

/** Where an operation is: `step k of N` and the name of that step; N is 0 before steps are known. */
export function stepPosition(steps: readonly OperationStep[]): {
  index: number;
  total: number;
  name?: string;
} {
  const total = steps.length;
  if (total === 0) return { index: 0, total };
  const running = steps.findIndex((s) => s.status === 'running');
  if (running >= 0) return { index: running + 1, total, name: steps[running]?.name };
  const started = steps.filter((s) => s.status !== 'pending').length;
  const at = Math.min(started, total - 1);
  return { index: started === total ? total : started + 1, total, name: steps[at]?.name };
}

/** `[########--------]`: the share of steps that succeeded. */
export function progressBar(steps: readonly OperationStep[], width: number): string {
  const done = steps.filter((s) => s.status === 'succeeded').length;
  const filled = steps.length === 0 ? 0 : Math.round((done / steps.length) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function label(op: OperationSnapshot): string {
  return `${op.kind} ${op.id.slice(0, 8)}`;
}

function describe(op: OperationSnapshot): string {
  const { index, total, name } = stepPosition(op.steps);
  const where = total === 0 ? 'waiting for its first step' : `step ${index} of ${total}: ${name ?? '?'}`;
  return op.status === 'running' ? where : `${op.status}, ${where}`;
}

/**
 * Progress on stderr: on a terminal one line redrawn in place (a bar, `step k of N`, the step, the
 * time so far); elsewhere (a log, CI) a plain line each time a step changes.
 */
export function createProgress(stream: OutputStream, now: () => number): Progress {
  return stream.isTTY === true ? new TerminalProgress(stream, now) : new LineProgress(stream, now);
}

class TerminalProgress implements Progress {
  private readonly started: number;
  private last: OperationSnapshot | undefined;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly stream: OutputStream,
    private readonly now: () => number,
  ) {
    this.started = now();
    this.ticker = setInterval(() => this.draw(), 1000);
    this.ticker.unref();
  }

  update(op: OperationSnapshot): void {
    this.last = op;
    this.draw();
  }

  finish(op: OperationSnapshot): void {
    clearInterval(this.ticker);
    this.last = op;
    const bar = progressBar(op.steps, 20);
    this.stream.write(`\r\x1b[2K${label(op)} ${bar} ${outcome(op, this.now() - this.started)}\n`);
  }

  private draw(): void {
    if (this.last === undefined) return;
    const op = this.last;
    const line = `${label(op)} ${progressBar(op.steps, 20)} ${describe(op)}  ${elapsed(this.now() - this.started)}`;
    // A pseudo-terminal may report 0 columns; assume 80 then.
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    this.stream.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
  }
}

class LineProgress implements Progress {
  private readonly started: number;
  private readonly seen = new Map<string, string>();
  private lastStatus: string | undefined;

  constructor(
    private readonly stream: OutputStream,
    private readonly now: () => number,
  ) {
    this.started = now();
  }

  update(op: OperationSnapshot): void {
    // Running shows in the steps, a final status in finish(); the states in between get a line.
    if (op.status !== this.lastStatus && (op.status === 'pending' || op.status === 'cancelling')) {
      this.stream.write(`${label(op)}: ${op.status}\n`);
    }
    this.lastStatus = op.status;
    op.steps.forEach((step, i) => {
      if (
        this.seen.get(step.name) === step.status ||
        (step.status === 'pending' && !this.seen.has(step.name))
      ) {
        return;
      }
      this.seen.set(step.name, step.status);
      this.stream.write(`${label(op)}: step ${i + 1} of ${op.steps.length} ${step.name} ${step.status}\n`);
    });
  }

  finish(op: OperationSnapshot): void {
    this.update(op);
    this.stream.write(`${label(op)}: ${outcome(op, this.now() - this.started)}\n`);
  }
}
