import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderFlake } from './flake-renderer';
import { FlakeValidationError, validateFlake } from './nix-validator';
import { writeRenderedFiles } from './write-rendered-files';

describe('validateFlake', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fedops-validate-'));
    const rendered = renderFlake({
      tenantId: 't1',
      domain: 'example.org',
      hostname: 'fedops-t1',
      machineKind: 'proxmox',
      apps: [
        { app: 'mastodon', options: { adminEmail: 'a"${b}@example.org' } },
        { app: 'forgejo', options: {} },
      ],
    });
    await writeRenderedFiles(dir, rendered.files);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a rendered configuration, and nix warns about nothing on this machine', async () => {
    // Any warning here (a missing nixbld group, an unreadable nix.conf …) is a machine set-up that
    // the evaluate-only environment failed to rule out.
    await expect(validateFlake(dir)).resolves.toEqual({ warnings: [] });
  });

  it('names the broken file and quotes nix-instantiate', async () => {
    const file = path.join(dir, 'apps/forgejo.nix');
    await writeFile(file, (await readFile(file, 'utf8')).replace('enable = true;', 'enable = ;'));
    const error = await validateFlake(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlakeValidationError);
    const { message, problems } = error as FlakeValidationError;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^apps\/forgejo\.nix: syntax error, unexpected ';'/);
    expect(message).not.toMatch(/warning/i);
    expect(message).toContain('apps/forgejo.nix');
    expect(message).toMatch(/forgejo\.nix:\d+:\d+/);
  });

  it('rejects options the catalog does not know', async () => {
    const file = path.join(dir, 'fedops-apps.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as {
      apps: Array<{ options: Record<string, unknown> }>;
    };
    const first = manifest.apps[0];
    if (first === undefined) throw new Error('empty manifest');
    first.options['madeUp'] = 'x';
    first.options['lfs'] = 'yes';
    await writeFile(file, JSON.stringify(manifest));
    const error = (await validateFlake(dir).catch((e: unknown) => e)) as FlakeValidationError;
    expect(error).toBeInstanceOf(FlakeValidationError);
    expect(error.problems.join('\n')).toMatch(/options\.madeUp: unknown option for forgejo/);
    expect(error.problems.join('\n')).toMatch(/options\.lfs: must be a boolean/);
  });

  it('reports an app module that flake.nix does not import', async () => {
    const file = path.join(dir, 'flake.nix');
    await writeFile(file, (await readFile(file, 'utf8')).replace('./apps/mastodon.nix', ''));
    const error = (await validateFlake(dir).catch((e: unknown) => e)) as FlakeValidationError;
    expect(error.problems).toEqual(['flake.nix: does not import ./apps/mastodon.nix']);
  });
});
