import { parseArgs } from 'node:util';
import { GLOBAL_OPTIONS, type CommandNode, type OptionSpec, type OptionValue } from './command';
import { UsageError } from './errors';
import { renderHelp } from './help';

export interface ParsedCommandLine {
  /** The commands named, outermost first (empty for `fedops` alone). */
  path: readonly CommandNode[];
  /** The last of them: a command with `run`, or a group when only help or version was asked for. */
  node: CommandNode;
  values: Record<string, OptionValue>;
  args: string[];
  help: boolean;
  version: boolean;
}

/**
 * Parses a command line against the command tree: the words that name a command (anywhere before
 * its arguments, with global flags around them), then that command's flags and arguments with
 * node:util parseArgs. Everything wrong is a UsageError carrying the help of the command concerned:
 * an unknown command or flag (with a suggestion), a missing or ambiguous value, a value not among
 * the choices, missing or extra arguments.
 */
export function parseCommandLine(root: CommandNode, argv: readonly string[]): ParsedCommandLine {
  const path = resolvePath(root, argv);
  const node = path[path.length - 1] ?? root;
  const usage = renderHelp(path, node);
  const specs: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS, ...(node.options ?? {}) };

  const { values, tokens } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      Object.entries(specs).map(([name, s]) => [
        name,
        {
          type: s.type,
          ...(s.short === undefined ? {} : { short: s.short }),
          ...(s.multiple === true ? { multiple: true } : {}),
        },
      ]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });

  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const spec = specs[token.name];
    if (spec === undefined) {
      const known = Object.keys(specs).map((n) => `--${n}`);
      const hint = suggest(token.rawName, known);
      throw new UsageError(
        `unknown option ${token.rawName} for ${subject(path)}${hint === undefined ? '' : ` (did you mean ${hint}?)`}`,
        usage,
      );
    }
    if (spec.type === 'boolean' && token.value !== undefined) {
      throw new UsageError(`option --${token.name} takes no value`, usage);
    }
    if (spec.type === 'string') {
      // parseArgs (not strict) takes the next word as the value even when it is another flag.
      const swallowed =
        token.inlineValue === false && token.value !== undefined && isKnownFlag(token.value, specs);
      if (token.value === undefined || swallowed) {
        throw new UsageError(
          `option --${token.name} needs a value${spec.value === undefined ? '' : ` ${spec.value}`}`,
          usage,
        );
      }
      if (spec.choices !== undefined && !spec.choices.includes(token.value)) {
        throw new UsageError(
          `--${token.name} must be one of ${spec.choices.join(', ')}, not "${token.value}"`,
          usage,
        );
      }
    }
  }

  // The words naming the command come first among the positionals (flags may sit between them).
  const args = positionals.slice(path.length);
  const help = values['help'] === true;
  const version = values['version'] === true;
  if (node.run === undefined) {
    if (help || version) return { path, node, values, args, help, version };
    const word = args[0];
    if (word === undefined) throw new UsageError(`${subject(path)} needs a command`, usage);
    throw unknownCommand(path, node, word, usage);
  }
  if (!help) checkArgs(node, args, path, usage);
  return { path, node, values: values as Record<string, OptionValue>, args, help, version };
}

/** The command words at the start of the positionals, skipping flags (and the values of known ones). */
function resolvePath(root: CommandNode, argv: readonly string[]): CommandNode[] {
  const path: CommandNode[] = [];
  let node = root;
  for (let i = 0; i < argv.length && node.children !== undefined; i += 1) {
    const word = argv[i] ?? '';
    if (word === '--') break;
    if (word.startsWith('-') && word !== '-') {
      const name = word.replace(/^-+/, '');
      const spec = word.startsWith('--') ? GLOBAL_OPTIONS[name] : shortGlobal(name);
      if (spec?.type === 'string' && !word.includes('=')) i += 1;
      continue;
    }
    const child = node.children.find((c) => c.name === word || (c.aliases ?? []).includes(word));
    if (child === undefined) {
      // Help on a group takes no arguments; anything else there is an unknown command.
      if (argv.includes('--help') || argv.includes('-h')) break;
      throw unknownCommand(path, node, word, renderHelp(path, node));
    }
    path.push(child);
    node = child;
  }
  return path;
}

function shortGlobal(letter: string): OptionSpec | undefined {
  return Object.values(GLOBAL_OPTIONS).find((s) => s.short === letter);
}

function isKnownFlag(value: string, specs: Record<string, OptionSpec>): boolean {
  if (value.startsWith('--')) return specs[value.slice(2).split('=')[0] ?? ''] !== undefined;
  return /^-[A-Za-z]$/.test(value) && Object.values(specs).some((s) => s.short === value.slice(1));
}

function checkArgs(
  node: CommandNode,
  args: readonly string[],
  path: readonly CommandNode[],
  usage: string,
): void {
  const specs = node.args ?? [];
  const required = specs.filter((a) => a.required === true);
  if (args.length < required.length) {
    const missing = required.slice(args.length).map((a) => `<${a.name}>`);
    throw new UsageError(`${subject(path)} needs ${missing.join(' ')}`, usage);
  }
  const variadic = specs[specs.length - 1]?.variadic === true;
  if (!variadic && args.length > specs.length) {
    throw new UsageError(
      `${subject(path)} takes ${specs.length === 0 ? 'no arguments' : `at most ${specs.length}`}; unexpected "${args[specs.length] ?? ''}"`,
      usage,
    );
  }
  specs.forEach((spec, i) => {
    const values = spec.variadic === true ? args.slice(i) : args[i] === undefined ? [] : [args[i] as string];
    for (const value of values) {
      if (spec.choices !== undefined && !spec.choices.includes(value)) {
        throw new UsageError(
          `<${spec.name}> must be one of ${spec.choices.join(', ')}, not "${value}"`,
          usage,
        );
      }
    }
  });
}

function unknownCommand(
  path: readonly CommandNode[],
  node: CommandNode,
  word: string,
  usage: string,
): UsageError {
  const names = (node.children ?? []).flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  const hint = suggest(word, names);
  return new UsageError(
    `unknown command "${word}" for ${subject(path)}${hint === undefined ? '' : ` (did you mean ${hint}?)`}`,
    usage,
  );
}

/** The command as messages name it after the `fedops:` prefix: `tenants get`, or `fedops` itself. */
function subject(path: readonly CommandNode[]): string {
  return path.length === 0 ? 'fedops' : `"${path.map((n) => n.name).join(' ')}"`;
}

export function commandLine(path: readonly CommandNode[]): string {
  return ['fedops', ...path.map((n) => n.name)].join(' ');
}

/** The candidate nearest to `word` (edit distance at most 2, or a prefix), if any. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = candidate.startsWith(word) && word.length >= 3 ? 1 : editDistance(word, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
