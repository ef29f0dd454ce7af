import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ApiResponse } from '../api-client';
import type { OperationView } from '../api-types';
import { durationValue, flagValue, stringValue, type CommandContext, type OptionSpec } from '../command';
import { ExitCode } from '../exit-codes';
import { CliError } from '../errors';
import { followOperation } from '../follow';
import { createProgress } from '../progress';
import type { Session } from '../session';
import { relative } from '../table';

export const WAIT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  wait: {
    type: 'boolean',
    short: 'w',
    description: 'follow the operation with a progress display until it ends; exit 1 unless it succeeded',
  },
  timeout: {
    type: 'string',
    value: '<duration>',
    description: 'with --wait: give up after this long (90, 90s, 5m, 1h); the operation goes on',
  },
};

export const IDEMPOTENCY_OPTION: Readonly<Record<string, OptionSpec>> = {
  'idempotency-key': {
    type: 'string',
    value: '<key>',
    description:
      'sent as Idempotency-Key, so that repeating the command changes nothing (default: a new one)',
  },
};

/** The operation did not succeed. */
export class OperationFailedError extends CliError {
  constructor(op: OperationView) {
    const what = op.failedStep === undefined ? '' : ` at step ${op.failedStep}`;
    super(
      `operation ${op.id} (${op.kind}) ${op.status}${what}${op.error === undefined ? '' : `: ${op.error}`}`,
      ExitCode.Failed,
      op.status === 'failed' || op.status === 'cancelled'
        ? [`retry it with \`fedops operations retry ${op.id}\``]
        : [],
    );
    this.name = 'OperationFailedError';
  }
}

/** The Idempotency-Key for a POST: the one given, else a new one (the command's own retries reuse it). */
export function idempotencyKey(ctx: CommandContext): string {
  const given = stringValue(ctx, 'idempotency-key');
  if (given !== undefined && !/^[\x21-\x7e]{1,255}$/.test(given)) {
    throw ctx.usage('--idempotency-key must be 1 to 255 visible ASCII characters');
  }
  return given ?? randomUUID();
}

/** `--wait` and `--timeout`, checked before anything is sent. */
export interface WaitChoice {
  wait: boolean;
  timeoutMs?: number;
}

export function waitChoice(ctx: CommandContext): WaitChoice {
  const wait = flagValue(ctx, 'wait');
  const timeoutMs = durationValue(ctx, 'timeout');
  if (timeoutMs !== undefined && !wait) throw ctx.usage('--timeout goes with --wait');
  return timeoutMs === undefined ? { wait } : { wait, timeoutMs };
}

/** Follows the operation to its end, with progress on stderr. */
export function follow(
  ctx: CommandContext,
  session: Session,
  operationId: string,
  choice: WaitChoice,
): Promise<ApiResponse<OperationView>> {
  return followOperation({
    api: session.api,
    io: ctx.io,
    operationId,
    progress: createProgress(ctx.io.stderr, () => ctx.io.now()),
    ...(choice.timeoutMs === undefined ? {} : { timeoutMs: choice.timeoutMs }),
  });
}

/** Throws unless the followed operation succeeded (after the caller printed what it prints). */
export function requireSuccess(op: OperationView | undefined): void {
  if (op !== undefined && op.status !== 'succeeded') throw new OperationFailedError(op);
}

/** A JSON document from `--file <path>` (`-` for stdin). */
export async function readJsonFile(ctx: CommandContext, path: string): Promise<unknown> {
  let text: string;
  try {
    text = path === '-' ? await ctx.io.readStdin() : await readFile(path, 'utf8');
  } catch (err) {
    throw ctx.usage(`cannot read --file ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw ctx.usage(`--file ${path} is not JSON: ${(err as Error).message}`);
  }
}

/** Asks before something that cannot be undone; `--yes` answers for scripts, which must give it. */
export async function confirm(ctx: CommandContext, question: string): Promise<void> {
  if (flagValue(ctx, 'yes')) return;
  if (!ctx.io.interactive) {
    throw ctx.usage('this cannot be undone: add --yes to confirm (stdin is not a terminal to ask on)');
  }
  const answer = (await ctx.io.prompt(`${question} [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes')
    throw new CliError('not confirmed; nothing was changed', ExitCode.Failed);
}

/** `2026-12-01T10:00:00.000Z (5m ago)`. */
export function when(iso: string | undefined, now: number): string | undefined {
  return iso === undefined ? undefined : `${iso} (${relative(iso, now)})`;
}
