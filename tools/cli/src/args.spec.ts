import { parseCommandLine, suggest } from './args';
import type { CommandNode } from './command';
import { commandTree } from './commands';
import { UsageError } from './errors';

const run = async (): Promise<void> => undefined;

const tree: CommandNode = {
  name: 'fedops',
  summary: 'test tree',
  children: [
    {
      name: 'tenants',
      aliases: ['tenant'],
      summary: 'tenants',
      children: [
        {
          name: 'create',
          summary: 'create',
          options: {
            domain: { type: 'string', value: '<domain>', description: 'domain' },
            app: { type: 'string', multiple: true, description: 'app' },
            wait: { type: 'boolean', short: 'w', description: 'wait' },
            status: { type: 'string', choices: ['ready', 'failed'], description: 'status' },
          },
          run,
        },
        { name: 'get', summary: 'get', args: [{ name: 'tenant', required: true, description: 'id' }], run },
      ],
    },
    {
      name: 'completion',
      summary: 'completion',
      args: [{ name: 'shell', required: true, choices: ['bash', 'zsh'], description: 'shell' }],
      run,
    },
    { name: 'help', summary: 'help', args: [{ name: 'command', variadic: true, description: 'c' }], run },
  ],
};

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(tree, argv);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('finds the command, its flags (repeated ones as lists) and its arguments', () => {
    const parsed = parseCommandLine(tree, [
      'tenants',
      'create',
      '--domain',
      'a.example',
      '--app',
      'x',
      '--app=y',
      '-w',
    ]);
    expect(parsed.path.map((n) => n.name)).toEqual(['tenants', 'create']);
    expect(parsed.values).toMatchObject({ domain: 'a.example', app: ['x', 'y'], wait: true });
    expect(parsed.args).toEqual([]);
  });

  it('takes global flags anywhere, before, between and after the command words', () => {
    const parsed = parseCommandLine(tree, [
      '--url',
      'http://api',
      'tenant',
      '--profile=ops',
      'get',
      'T1',
      '--json',
    ]);
    expect(parsed.path.map((n) => n.name)).toEqual(['tenants', 'get']);
    expect(parsed.args).toEqual(['T1']);
    expect(parsed.values).toMatchObject({ url: 'http://api', profile: 'ops', json: true });
  });

  it('treats everything after -- as arguments', () => {
    expect(parseCommandLine(tree, ['tenants', 'get', '--', '--odd-id']).args).toEqual(['--odd-id']);
  });

  it('answers help for a group, a command, or the whole tree without running anything', () => {
    expect(parseCommandLine(tree, ['--help'])).toMatchObject({ help: true, path: [] });
    expect(parseCommandLine(tree, ['tenants', '-h']).node.name).toBe('tenants');
    expect(parseCommandLine(tree, ['tenants', 'get', '--help'])).toMatchObject({ help: true, args: [] });
    expect(parseCommandLine(tree, ['--version']).version).toBe(true);
  });

  it('refuses an unknown command, suggesting the nearest', () => {
    const err = usageError(['tenants', 'craete']);
    expect(err.message).toBe('unknown command "craete" for "tenants" (did you mean create?)');
    expect(err.usage).toContain('Usage: fedops tenants <command>');
    expect(usageError(['tnants']).message).toMatch(/did you mean tenants\?/);
  });

  it('refuses a group without a command', () => {
    expect(usageError(['tenants']).message).toBe('"tenants" needs a command');
    expect(usageError([]).message).toBe('fedops needs a command');
  });

  it('refuses an unknown flag, naming the command and suggesting the nearest flag', () => {
    const err = usageError(['tenants', 'create', '--domian', 'x']);
    expect(err.message).toBe('unknown option --domian for "tenants create" (did you mean --domain?)');
    expect(err.usage).toContain('Usage: fedops tenants create [options]');
    expect(err.exitCode).toBe(2);
  });

  it('refuses a flag without its value, also when the next word is another flag', () => {
    expect(usageError(['tenants', 'create', '--domain']).message).toBe(
      'option --domain needs a value <domain>',
    );
    expect(usageError(['tenants', 'create', '--domain', '--wait']).message).toBe(
      'option --domain needs a value <domain>',
    );
    expect(usageError(['tenants', 'create', '--domain', '-w']).message).toMatch(/needs a value/);
  });

  it('takes a value starting with a dash that is no flag (an explicit --flag=value always)', () => {
    expect(parseCommandLine(tree, ['tenants', 'create', '--domain', '-x-']).values['domain']).toBe('-x-');
    expect(parseCommandLine(tree, ['tenants', 'create', '--domain=--wait']).values['domain']).toBe('--wait');
  });

  it('refuses a value for a boolean flag and a value outside the choices', () => {
    expect(usageError(['tenants', 'create', '--wait=yes']).message).toBe('option --wait takes no value');
    expect(usageError(['tenants', 'create', '--status', 'weird']).message).toBe(
      '--status must be one of ready, failed, not "weird"',
    );
  });

  it('checks the arguments: missing, extra, not among the choices; variadic takes the rest', () => {
    expect(usageError(['tenants', 'get']).message).toBe('"tenants get" needs <tenant>');
    expect(usageError(['tenants', 'get', 'a', 'b']).message).toBe(
      '"tenants get" takes at most 1; unexpected "b"',
    );
    expect(usageError(['tenants', 'create', 'stray']).message).toBe(
      '"tenants create" takes no arguments; unexpected "stray"',
    );
    expect(usageError(['completion', 'tcsh']).message).toBe('<shell> must be one of bash, zsh, not "tcsh"');
    expect(parseCommandLine(tree, ['help', 'tenants', 'create']).args).toEqual(['tenants', 'create']);
  });
});

describe('the fedops command tree', () => {
  it('parses the lines the README shows', () => {
    const root = commandTree();
    const create = parseCommandLine(root, [
      'tenants',
      'create',
      '--domain',
      'demo.example.net',
      '--app',
      'mastodon',
      '--option',
      'mastodon.singleUserMode=true',
      '--wait',
    ]);
    expect(create.values).toMatchObject({ option: ['mastodon.singleUserMode=true'], wait: true });
    expect(parseCommandLine(root, ['ops', 'ls', '--tenant', 'T', '--all']).path.map((n) => n.name)).toEqual([
      'operations',
      'list',
    ]);
  });

  it('gives every command a summary, and flags and aliases that do not collide', () => {
    const walk = (node: CommandNode): void => {
      expect(node.summary).not.toBe('');
      const names = (node.children ?? []).flatMap((c) => [c.name, ...(c.aliases ?? [])]);
      expect(new Set(names).size).toBe(names.length);
      for (const name of Object.keys(node.options ?? {}))
        expect(['url', 'profile', 'json', 'help', 'version']).not.toContain(name);
      for (const child of node.children ?? []) walk(child);
    };
    walk(commandTree());
  });
});

describe('suggest', () => {
  it('offers a close or prefixed candidate and nothing for a far one', () => {
    expect(suggest('lst', ['list', 'get'])).toBe('list');
    expect(suggest('oper', ['operations', 'tenants'])).toBe('operations');
    expect(suggest('zzz', ['list', 'get'])).toBeUndefined();
  });
});
