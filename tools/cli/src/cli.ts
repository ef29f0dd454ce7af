import { commandLine, parseCommandLine, type ParsedCommandLine } from './args';
import type { CommandContext } from './command';
import { commandTree } from './commands';
import { DEFAULT_PROFILE, configPath, validProfileName } from './config';
import { ExitCode } from './exit-codes';
import { ApiError, CliError, UsageError } from './errors';
import { renderHelp } from './help';
import type { Io } from './io';
import { ConfigStore, openSession, type Session } from './session';
import { USER_AGENT, VERSION } from './version';

/**
 * Runs one `fedops` command line and returns its exit code. Results go to stdout, everything else
 * (progress, notices, errors) to stderr; nothing here exits the process, so tests can call it.
 */
export async function run(argv: readonly string[], io: Io): Promise<ExitCode> {
  const root = commandTree();
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(root, argv);
  } catch (err) {
    return report(io, err, false);
  }
  const { path, node, values, args } = parsed;
  if (parsed.version) {
    io.stdout.write(`fedops ${VERSION}\n`);
    return ExitCode.Ok;
  }
  if (parsed.help || node.run === undefined) {
    io.stdout.write(`${renderHelp(path, node)}\n`);
    return ExitCode.Ok;
  }
  const json = values['json'] === true;
  const warn = (message: string): void => io.stderr.write(`fedops: ${message}\n`);
  const usage = (message: string): UsageError => new UsageError(message, renderHelp(path, node));
  try {
    const flagProfile = typeof values['profile'] === 'string' ? values['profile'] : undefined;
    const profileName = flagProfile ?? (io.env['FEDOPS_PROFILE'] || DEFAULT_PROFILE);
    if (!validProfileName(profileName)) {
      throw usage(`profile names are letters, digits, ".", "_" and "-", not "${profileName}"`);
    }
    const config = new ConfigStore(configPath(io.env), warn);
    let session: Promise<Session> | undefined;
    const urlFlag = typeof values['url'] === 'string' ? values['url'] : undefined;
    const ctx: CommandContext = {
      io,
      commandLine: commandLine(path),
      values,
      args,
      json,
      profileName,
      config,
      session: () =>
        (session ??= openSession({
          io,
          profileName,
          ...(urlFlag === undefined ? {} : { urlFlag }),
          store: config,
          userAgent: USER_AGENT,
          notice: warn,
        })),
      usage,
    };
    return (await node.run(ctx)) ?? ExitCode.Ok;
  } catch (err) {
    return report(io, err, json);
  }
}

/** Prints a failure for people on stderr (with --json, an API problem also as is on stdout) and gives its exit code. */
export function report(io: Io, err: unknown, json: boolean): ExitCode {
  if (err instanceof UsageError) {
    io.stderr.write(`fedops: ${err.message}\n${err.usage === undefined ? '' : `\n${err.usage}\n`}`);
    return err.exitCode;
  }
  if (err instanceof CliError) {
    if (json && err instanceof ApiError && err.problem !== undefined) io.stdout.write(`${err.body.trim()}\n`);
    io.stderr.write(`fedops: ${err.message}\n${err.hints.map((h) => `  hint: ${h}\n`).join('')}`);
    return err.exitCode;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  io.stderr.write(`fedops: unexpected error (a bug; please report it): ${detail}\n`);
  return ExitCode.Failed;
}
