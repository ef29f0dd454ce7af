import { ExitCode, exitCodeForStatus } from './exit-codes';
import { formatProblem, httpReason, isMissingRoute, parseProblem, type Problem } from './problem';

/** An error the command reports to its user as is: a message, hints, and the exit code it ends with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hints: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** A bad command line. `usage` is the help of the command concerned, printed after the message. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message, ExitCode.Usage);
    this.name = 'UsageError';
  }
}

/** The API answered with an error status. `body` is what it sent (a problem+json document, usually). */
export class ApiError extends CliError {
  readonly problem: Problem | undefined;

  constructor(
    readonly status: number,
    readonly body: string,
    readonly method: string,
    readonly path: string,
    hints: readonly string[] = [],
  ) {
    const problem = parseProblem(body);
    super(describeApiError(status, problem, method, path), exitCodeForStatus(status), hints);
    this.problem = problem;
    this.name = 'ApiError';
  }

  /** The server has no such endpoint at all (not: the resource is missing). */
  get missingRoute(): boolean {
    return isMissingRoute(this.problem, this.status);
  }
}

function describeApiError(
  status: number,
  problem: Problem | undefined,
  method: string,
  path: string,
): string {
  if (isMissingRoute(problem, status)) {
    return `not available on this server: it has no ${method} ${path.split('?')[0] ?? path} (its tenant-api predates this command)`;
  }
  if (problem !== undefined) return formatProblem(problem, status);
  return `${httpReason(status)} (${status}) from ${method} ${path}`;
}

/** The server could not be reached, or the connection broke. */
export class NetworkError extends CliError {
  constructor(url: string, cause: unknown) {
    super(`cannot reach ${url}: ${networkReason(cause)}`, ExitCode.Unavailable, [], { cause });
    this.name = 'NetworkError';
  }
}

/** Why fetch failed, in its own words: `connect ECONNREFUSED 127.0.0.1:8080`, `timed out after 30 s`. */
export function networkReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return err.message;
  let current: unknown = err;
  // fetch wraps the socket error: TypeError('fetch failed', { cause: Error('connect ECONNREFUSED ...') }).
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
  return current instanceof Error ? current.message : String(current);
}

/** Ctrl-C: the command stopped; what it started on the server goes on. */
export class InterruptedError extends CliError {
  constructor(hints: readonly string[] = []) {
    super('interrupted', ExitCode.Interrupted, hints);
    this.name = 'InterruptedError';
  }
}

/** The exit code a failure ends the command with. Anything not a CliError is a bug or an unexpected failure. */
export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof CliError ? err.exitCode : ExitCode.Failed;
}
