import type { ExitCode } from './exit-codes';
import type { Io } from './io';
import type { Session, ConfigStore } from './session';

export type OptionValue = string | boolean | string[] | undefined;

/** A flag of a command, as node:util parseArgs takes it, with what help and completion need. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
  /** The value's placeholder in help: `--domain <domain>`. */
  value?: string;
  /** The values allowed; checked when parsing, offered by completion. */
  choices?: readonly string[];
}

/** A positional argument. */
export interface ArgSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes every remaining argument. Only the last may. */
  variadic?: boolean;
  choices?: readonly string[];
}

/** A command (a leaf, with `run`) or a group of commands (with `children`). */
export interface CommandNode {
  name: string;
  aliases?: readonly string[];
  summary: string;
  description?: string;
  args?: readonly ArgSpec[];
  options?: Readonly<Record<string, OptionSpec>>;
  examples?: readonly string[];
  children?: readonly CommandNode[];
  run?: (ctx: CommandContext) => Promise<ExitCode | void>;
}

/** What a command's `run` gets: its parsed flags and arguments and the ways out to the world. */
export interface CommandContext {
  readonly io: Io;
  /** `fedops tenants create`, for messages. */
  readonly commandLine: string;
  readonly values: Readonly<Record<string, OptionValue>>;
  readonly args: readonly string[];
  /** `--json`: print the API's JSON on stdout instead of tables. */
  readonly json: boolean;
  readonly profileName: string;
  readonly config: ConfigStore;
  /** The server, token and API client, from flags, environment and the config file (resolved on first use). */
  session(): Promise<Session>;
  /** A usage error of this command (exit 2, its help printed after the message). */
  usage(message: string): Error;
}

export function stringValue(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flagValue(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}

export function listValue(ctx: CommandContext, name: string): string[] {
  const value = ctx.values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** An integer flag within [min, max], or undefined when not given; anything else is a usage error. */
export function intValue(ctx: CommandContext, name: string, min: number, max: number): number | undefined {
  const raw = stringValue(ctx, name);
  if (raw === undefined) return undefined;
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max))
    throw ctx.usage(`--${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  return n;
}

/** Seconds for `--timeout`: `90`, `90s`, `5m`, `1h`. */
export function durationValue(ctx: CommandContext, name: string): number | undefined {
  const raw = stringValue(ctx, name);
  if (raw === undefined) return undefined;
  const match = /^(\d{1,6})(s|m|h)?$/.exec(raw);
  if (match === null || match[1] === undefined)
    throw ctx.usage(`--${name} must be a duration like 90, 90s, 5m or 1h, not "${raw}"`);
  const unit = match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1;
  return Number(match[1]) * unit * 1000;
}

/** The command's positional argument by its position. */
export function arg(ctx: CommandContext, index: number): string {
  const value = ctx.args[index];
  if (value === undefined) throw ctx.usage(`missing argument ${index + 1}`);
  return value;
}

/** Flags every command takes, anywhere on the line. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  url: {
    type: 'string',
    value: '<url>',
    description: "the API server (else FEDOPS_URL, else the profile's)",
  },
  profile: {
    type: 'string',
    value: '<name>',
    description: 'the profile in the config file (else FEDOPS_PROFILE, else "default")',
  },
  json: { type: 'boolean', description: "print the API's JSON on stdout (one document) instead of tables" },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
  version: { type: 'boolean', description: 'print the version of fedops' },
};
