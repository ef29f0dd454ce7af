/**
 * What the `fedops` command's exit status means, so that scripts can branch on it. The numbers are
 * part of the command's interface (documented in `fedops --help` and the README): never renumber.
 */
export enum ExitCode {
  /** The command did what was asked (a followed operation succeeded). */
  Ok = 0,
  /** The request or the operation failed: an operation ended failed or cancelled, a 4xx not listed below. */
  Failed = 1,
  /** The command line was wrong: unknown command or flag, a missing or bad value. Nothing was sent. */
  Usage = 2,
  /** Not authenticated (401, no or expired token, login failed) or not allowed (403). */
  Auth = 3,
  /** What was asked for does not exist (404), or the server has no such endpoint. */
  NotFound = 4,
  /** The request conflicts with the current state (409, 412) or was refused as unprocessable (422). */
  Conflict = 5,
  /** The server failed (5xx) or could not be reached. Retrying later may help. */
  Unavailable = 6,
  /** Interrupted (Ctrl-C), as shells report SIGINT. */
  Interrupted = 130,
}

/** The exit codes as `fedops --help` and the README list them. */
export const EXIT_CODE_DESCRIPTIONS: ReadonlyArray<readonly [ExitCode, string]> = [
  [ExitCode.Ok, 'success (a followed operation succeeded)'],
  [ExitCode.Failed, 'the request or operation failed (operation failed or cancelled; other 4xx)'],
  [ExitCode.Usage, 'usage error: unknown command or flag, missing or bad value'],
  [ExitCode.Auth, 'not authenticated or not allowed (401, 403; no token, login failed)'],
  [ExitCode.NotFound, 'not found (404), or the server has no such endpoint'],
  [ExitCode.Conflict, 'conflict (409, 412, 422)'],
  [ExitCode.Unavailable, 'server error or unreachable (5xx, network)'],
];

/** The exit code for an HTTP answer that was not a success. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return ExitCode.Auth;
  if (status === 404) return ExitCode.NotFound;
  if (status === 409 || status === 412 || status === 422) return ExitCode.Conflict;
  if (status >= 500) return ExitCode.Unavailable;
  if (status >= 400) return ExitCode.Failed;
  // A success, or an informational/redirect answer fetch did not follow: not something to fail on here.
  return status >= 300 ? ExitCode.Failed : ExitCode.Ok;
}
