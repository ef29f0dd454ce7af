import { GLOBAL_OPTIONS, type CommandNode, type OptionSpec } from './command';
import { EXIT_CODE_DESCRIPTIONS } from './exit-codes';
import { displayWidth } from './table';

/** `--domain <domain>`, `-h, --help`. */
export function optionLabel(name: string, spec: OptionSpec): string {
  const long = `--${name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`;
  return spec.short === undefined ? long : `-${spec.short}, ${long}`;
}

function describeOption(spec: OptionSpec): string {
  const extra = [
    spec.choices === undefined ? undefined : `one of: ${spec.choices.join(', ')}`,
    spec.multiple === true ? 'repeatable' : undefined,
  ].filter((s) => s !== undefined);
  return extra.length === 0 ? spec.description : `${spec.description}; ${extra.join('; ')}`;
}

/** Help is wrapped to this many columns. */
const WIDTH = 100;

/** Words of `text` in lines of at most `width` columns (a longer word gets a line of its own); newlines kept. */
export function wrap(text: string, width: number): string[] {
  return text.split('\n').flatMap((paragraph) => {
    if (/^\s/.test(paragraph)) return [paragraph]; // indented: preformatted
    const lines: string[] = [];
    let line = '';
    for (const word of paragraph.split(/ +/)) {
      if (line !== '' && displayWidth(line) + 1 + displayWidth(word) > width) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
    return lines;
  });
}

function section(title: string, rows: ReadonlyArray<readonly [string, string]>): string[] {
  if (rows.length === 0) return [];
  const width = Math.max(...rows.map(([left]) => displayWidth(left)));
  const indent = ' '.repeat(width + 4);
  return [
    '',
    `${title}:`,
    ...rows.flatMap(([left, right]) => {
      const [first = '', ...rest] = wrap(right, Math.max(40, WIDTH - width - 4));
      return [
        `  ${left}${' '.repeat(width - displayWidth(left))}  ${first}`.trimEnd(),
        ...rest.map((l) => indent + l),
      ];
    }),
  ];
}

function usageLine(path: readonly CommandNode[], node: CommandNode): string {
  const words = ['fedops', ...path.map((n) => n.name)];
  // A group that also runs on its own (`fedops machines`) takes its command optionally.
  if (node.children !== undefined)
    return `Usage: ${words.join(' ')} ${node.run === undefined ? '<command>' : '[<command>]'} [options]`;
  const args = (node.args ?? []).map((a) => {
    const name = a.variadic === true ? `${a.name}...` : a.name;
    return a.required === true ? `<${name}>` : `[${name}]`;
  });
  const hasOptions = Object.keys(node.options ?? {}).length > 0;
  return `Usage: ${[...words, ...args, ...(hasOptions ? ['[options]'] : [])].join(' ')}`;
}

/** The help of a command or group: usage, description, its commands or arguments and options, examples. */
export function renderHelp(path: readonly CommandNode[], node: CommandNode): string {
  const root = path.length === 0;
  const lines = [usageLine(path, node), '', ...wrap(node.description ?? node.summary, WIDTH)];
  if (node.children !== undefined) {
    lines.push(
      ...section(
        'Commands',
        node.children.map((c) => [c.name, c.summary]),
      ),
    );
  }
  lines.push(
    ...section(
      'Arguments',
      (node.args ?? []).map((a) => [
        a.name,
        a.choices === undefined ? a.description : `${a.description} (one of: ${a.choices.join(', ')})`,
      ]),
    ),
  );
  lines.push(
    ...section(
      'Options',
      Object.entries(node.options ?? {}).map(([name, spec]) => [
        optionLabel(name, spec),
        describeOption(spec),
      ]),
    ),
  );
  lines.push(
    ...section(
      'Global options',
      Object.entries(GLOBAL_OPTIONS).map(([name, spec]) => [optionLabel(name, spec), describeOption(spec)]),
    ),
  );
  if (node.examples !== undefined && node.examples.length > 0) {
    lines.push('', 'Examples:', ...node.examples.map((e) => `  ${e}`));
  }
  if (root) {
    lines.push(
      ...section('Environment', [
        ['FEDOPS_URL', 'the API server, over the profile'],
        ['FEDOPS_TOKEN', 'a bearer token (OIDC access token or API token), over the profile'],
        ['FEDOPS_PROFILE', 'the profile to use'],
        ['FEDOPS_CLIENT_SECRET', 'the secret for `login --client-credentials` (else it is asked)'],
        ['XDG_CONFIG_HOME', 'the config is $XDG_CONFIG_HOME/fedops/config.json (default ~/.config)'],
      ]),
      ...section(
        'Exit codes',
        EXIT_CODE_DESCRIPTIONS.map(([code, text]) => [String(code), text]),
      ),
      '',
      'Run `fedops <command> --help` for the options of a command.',
    );
  } else if (node.children !== undefined) {
    lines.push('', `Run \`fedops ${path.map((n) => n.name).join(' ')} <command> --help\` for its options.`);
  }
  return lines.join('\n');
}
