import type { CommandNode } from '../command';
import { SHELLS, completionScript, type Shell } from '../completion';
import { renderHelp } from '../help';
import { print } from '../output';
import { authCommands } from './auth';
import { appsCommand } from './catalog';
import { machinesCommand } from './machines';
import { operationsCommand } from './operations';
import { providersCommand } from './providers';
import { backupsCommand } from './backups';
import { tokensCommand } from './resources';
import { tenantsCommand } from './tenants';

function completionCommand(root: () => CommandNode): CommandNode {
  return {
    name: 'completion',
    summary: 'Print a shell completion script (bash, zsh, fish)',
    args: [{ name: 'shell', required: true, choices: SHELLS, description: 'the shell' }],
    examples: [
      'source <(fedops completion bash)     # in ~/.bashrc',
      'source <(fedops completion zsh)      # in ~/.zshrc',
      'fedops completion fish | source      # in ~/.config/fish/config.fish',
    ],
    run: async (ctx) => {
      ctx.io.stdout.write(completionScript(root(), ctx.args[0] as Shell));
    },
  };
}

function helpCommand(root: () => CommandNode): CommandNode {
  return {
    name: 'help',
    summary: 'Show help for a command',
    args: [{ name: 'command', variadic: true, description: 'the command, e.g. `tenants create`' }],
    run: async (ctx) => {
      const path: CommandNode[] = [];
      let node = root();
      for (const word of ctx.args) {
        const child = node.children?.find((c) => c.name === word || (c.aliases ?? []).includes(word));
        if (child === undefined)
          throw ctx.usage(`no command "${[...path.map((n) => n.name), word].join(' ')}"`);
        path.push(child);
        node = child;
      }
      print(ctx, renderHelp(path, node));
    },
  };
}

/** The whole `fedops` command tree; help, parsing and completion are derived from it. */
export function commandTree(): CommandNode {
  const root: CommandNode = {
    name: 'fedops',
    summary: 'The fedops command line',
    description:
      'fedops: run fediverse apps for tenants through the fedops API. Results on stdout (tables for people,\n' +
      '--json for scripts), progress and messages on stderr, and the exit codes below.',
    children: [
      ...authCommands,
      tenantsCommand,
      appsCommand,
      operationsCommand,
      machinesCommand,
      tokensCommand,
      providersCommand,
      backupsCommand,
      completionCommand(() => root),
      helpCommand(() => root),
    ],
  };
  return root;
}
