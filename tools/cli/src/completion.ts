import { GLOBAL_OPTIONS, type CommandNode, type OptionSpec } from './command';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface Entry {
  /** `tenants create`; empty for the top level. */
  path: string;
  node: CommandNode;
}

/** Every command with the words that reach it; with aliases, once per way of naming it. */
function entries(root: CommandNode, aliases: boolean): Entry[] {
  const out: Entry[] = [];
  const walk = (node: CommandNode, path: string[]): void => {
    out.push({ path: path.join(' '), node });
    for (const child of node.children ?? []) {
      for (const name of aliases ? [child.name, ...(child.aliases ?? [])] : [child.name])
        walk(child, [...path, name]);
    }
  };
  walk(root, []);
  return out;
}

function optionsOf(node: CommandNode): Array<[string, OptionSpec]> {
  return Object.entries({ ...GLOBAL_OPTIONS, ...(node.options ?? {}) });
}

/** Single-quoted for sh. */
function q(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A bash completion script for the command tree: the commands at each level, the flags of each
 * command, the choices of flags and arguments that have them. Also used by zsh through bashcompinit.
 */
function bashFunction(root: CommandNode): string {
  const all = entries(root, true);
  const valueFlags = new Set<string>();
  for (const { node } of all) {
    for (const [name, spec] of optionsOf(node)) {
      if (spec.type === 'string') {
        valueFlags.add(`--${name}`);
        if (spec.short !== undefined) valueFlags.add(`-${spec.short}`);
      }
    }
  }
  const cases = (pick: (e: Entry) => string | undefined): string =>
    all
      .map((e) => {
        const words = pick(e);
        return words === undefined || words === '' ? undefined : `    ${q(e.path)}) words=${q(words)} ;;`;
      })
      .filter((l) => l !== undefined)
      .join('\n');
  const subcommands = cases((e) => e.node.children?.flatMap((c) => [c.name, ...(c.aliases ?? [])]).join(' '));
  const flags = cases((e) =>
    optionsOf(e.node)
      .map(([name]) => `--${name}`)
      .join(' '),
  );
  const argChoices = cases((e) => e.node.args?.[0]?.choices?.join(' '));
  const flagChoices = all
    .flatMap((e) =>
      optionsOf(e.node)
        .filter(([, s]) => s.choices !== undefined)
        .map(([name, s]) => `    ${q(`${e.path}|--${name}`)}) words=${q((s.choices ?? []).join(' '))} ;;`),
    )
    .join('\n');
  return `_fedops() {
  local cur prev path word i words=""
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in
      -*) case " ${[...valueFlags].join(' ')} " in *" $word "*) ((i++)) ;; esac; continue ;;
    esac
    if _fedops_has_sub "$path" "$word"; then path="\${path:+$path }$word"; fi
  done
  case "$prev" in
    --*)
      case "$path|$prev" in
${flagChoices}
      esac
      if [[ -n "$words" ]]; then COMPREPLY=($(compgen -W "$words" -- "$cur")); return; fi
      case " ${[...valueFlags].join(' ')} " in *" $prev "*) COMPREPLY=(); return ;; esac
      ;;
  esac
  if [[ "$cur" == -* ]]; then
    case "$path" in
${flags}
    esac
  else
    case "$path" in
${subcommands}
    esac
    if [[ -z "$words" ]]; then
      case "$path" in
${argChoices}
      esac
    fi
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
_fedops_has_sub() {
  local words=""
  case "$1" in
${subcommands}
  esac
  case " $words " in *" $2 "*) return 0 ;; esac
  return 1
}`;
}

function fishScript(root: CommandNode): string {
  const lines = ['# fedops completion for fish: fedops completion fish | source', 'complete -c fedops -f'];
  const all = entries(root, false);
  for (const { path, node } of all) {
    const words = path === '' ? [] : path.split(' ');
    const seen = words.map((w) => `__fish_seen_subcommand_from ${w}`);
    const children = node.children ?? [];
    const childNames = children.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
    const notYet = childNames.length === 0 ? [] : [`not __fish_seen_subcommand_from ${childNames.join(' ')}`];
    const at = path === '' ? ['__fish_use_subcommand'] : [...seen, ...notYet];
    const condition = at.join('; and ');
    for (const child of children) {
      lines.push(`complete -c fedops -n ${q(condition)} -a ${q(child.name)} -d ${q(child.summary)}`);
    }
    if (node.run === undefined && path !== '') continue;
    const own = path === '' ? condition : seen.join('; and ');
    for (const [name, spec] of Object.entries(node.options ?? {})) {
      const value =
        spec.type === 'string'
          ? spec.choices === undefined
            ? ' -r'
            : ` -r -a ${q(spec.choices.join(' '))}`
          : '';
      const short = spec.short === undefined ? '' : ` -s ${spec.short}`;
      lines.push(`complete -c fedops -n ${q(own)} -l ${name}${short}${value} -d ${q(spec.description)}`);
    }
    const choices = node.args?.[0]?.choices;
    if (choices !== undefined) lines.push(`complete -c fedops -n ${q(own)} -a ${q(choices.join(' '))}`);
  }
  for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) {
    const value = spec.type === 'string' ? ' -r' : '';
    const short = spec.short === undefined ? '' : ` -s ${spec.short}`;
    lines.push(`complete -c fedops -l ${name}${short}${value} -d ${q(spec.description)}`);
  }
  return lines.join('\n');
}

/** The completion script for a shell, to be sourced (see `fedops completion --help`). */
export function completionScript(root: CommandNode, shell: Shell): string {
  switch (shell) {
    case 'bash':
      return `# fedops completion for bash: source <(fedops completion bash)\n${bashFunction(root)}\ncomplete -F _fedops fedops\n`;
    case 'zsh':
      return (
        '#compdef fedops\n# fedops completion for zsh: source <(fedops completion zsh)\n' +
        'autoload -U +X bashcompinit && bashcompinit\n' +
        `${bashFunction(root)}\ncomplete -F _fedops fedops\n`
      );
    case 'fish':
      return `${fishScript(root)}\n`;
  }
}
