import { spawnSync } from 'node:child_process';
import { commandTree } from './commands';
import { completionScript } from './completion';

/** What bash offers for the words typed so far (the last one being completed), using the generated script. */
function complete(words: string[]): string[] {
  const script = completionScript(commandTree(), 'bash');
  const line = ['fedops', ...words];
  const program = [
    script,
    `COMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${line.length - 1}`,
    '_fedops',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bash failed: ${result.stderr}`);
  return result.stdout.split('\n').filter((l) => l !== '');
}

describe('shell completion', () => {
  it('completes commands, then subcommands (also after an alias and global flags)', () => {
    expect(complete(['te'])).toEqual(['tenants', 'tenant']);
    expect(complete(['tenants', ''])).toEqual([
      'list',
      'ls',
      'get',
      'show',
      'create',
      'update',
      'reconcile',
      'delete',
      'rm',
      'admin-credentials',
    ]);
    expect(complete(['--profile', 'ops', 'ops', ''])).toEqual(
      expect.arrayContaining(['watch', 'cancel', 'retry']),
    );
  });

  it("completes a command's flags, and the values of flags that have choices", () => {
    expect(complete(['tenants', 'create', '--w'])).toEqual(['--wait']);
    expect(complete(['tenants', 'list', '--status', 're'])).toEqual(['ready', 'restoring']);
    expect(complete(['operations', 'list', '--kind', ''])).toEqual([
      'deploy',
      'update',
      'reconcile',
      'backup',
      'restore',
      'destroy',
    ]);
    expect(complete(['backups', 'restore', 'tenant-id', 'snapshot-id', '--strategy', ''])).toEqual([
      'safe',
      'in-place',
    ]);
    expect(complete(['completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it('offers nothing for a free value such as a domain', () => {
    expect(complete(['tenants', 'create', '--domain', ''])).toEqual([]);
  });

  it('writes zsh (through bashcompinit) and fish scripts', () => {
    const zsh = completionScript(commandTree(), 'zsh');
    expect(zsh).toMatch(/^#compdef fedops\n/);
    expect(spawnSync('bash', ['-n'], { input: zsh }).status).toBe(0);
    const fish = completionScript(commandTree(), 'fish');
    expect(fish).toContain("complete -c fedops -n '__fish_use_subcommand' -a 'tenants'");
    expect(fish).toContain(
      "complete -c fedops -n '__fish_seen_subcommand_from tenants; and __fish_seen_subcommand_from create' -l domain -r",
    );
  });
});
