import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, startTestPlatform, type TestPlatform } from '@fedops/testing';
import { uniqueDomain } from './factories';

// The `fedops` command line as a user runs it: the committed bin (tools/cli/bin/fedops.js, what
// `npx fedops` runs) as a child process, against the whole platform, with its own config dir.

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let env: TestPlatform;
let configHome: string;
const bin = join(repoRoot(), 'tools', 'cli', 'bin', 'fedops.js');

beforeAll(async () => {
  if (!existsSync(join(repoRoot(), 'tools', 'cli', 'dist', 'main.js'))) {
    throw new Error('tools/cli is not built: run `npm run build` first');
  }
  env = await startTestPlatform('cli');
  configHome = await mkdtemp(join(tmpdir(), 'fedops-e2e-cli-'));
}, 180_000);

afterAll(async () => {
  await env?.stop();
  if (configHome !== undefined) await rm(configHome, { recursive: true, force: true });
});

/** Runs `fedops <args>` with FEDOPS_URL set to the platform's API and the config in `home`. */
function fedops(args: string[], extraEnv: Record<string, string> = {}, home = configHome): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env['PATH'] ?? '', XDG_CONFIG_HOME: home, FEDOPS_URL: env.apiUrl, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fedops ${args.join(' ')} did not end within 60 s; stderr so far:\n${stderr}`));
    }, 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the fedops command line against the platform', () => {
  it('logs in, creates a tenant following its progress, lists, reports problems and deletes it', async () => {
    // Login by client credentials at the real issuer; the token lands in a 0600 config file.
    const login = await fedops(
      ['login', '--issuer', env.issuer.issuerUrl, '--client-credentials', env.issuer.clients.acme.clientId],
      { FEDOPS_CLIENT_SECRET: env.issuer.clients.acme.clientSecret },
    );
    expect(login).toMatchObject({ code: 0 });
    expect(login.stdout).toContain('as fedops-operator-acme (roles operator, org acme)');
    expect((await stat(join(configHome, 'fedops', 'config.json'))).mode & 0o777).toBe(0o600);

    // Create with --wait: progress (plain lines, stderr is not a terminal) until the deployment succeeded.
    const domain = uniqueDomain('cli');
    const created = await fedops([
      'tenants',
      'create',
      '--domain',
      domain,
      '--app',
      'mastodon',
      '--option',
      'mastodon.singleUserMode=true',
      '--plan',
      'small',
      '--provider',
      'sandbox',
      '--wait',
    ]);
    expect(created.stderr).toMatch(/step 1 of 4 provision running/);
    expect(created.stderr).toMatch(/step 4 of 4 backup succeeded/);
    expect(created.stderr).toMatch(/deploy \w+: succeeded in \d+ s/);
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(/^Status +ready$/m);
    expect(created.stdout).toContain(`https://social.${domain}/  (singleUserMode=true)`);
    expect(created.stdout).toMatch(/^Placement +local, plan small: provider sandbox as asked/m);
    const id = /^ID +(\S+)$/m.exec(created.stdout)?.[1];
    expect(id).toBeDefined();

    // --json for scripts: the API's page as is.
    const listed = await fedops(['tenants', 'list', '--json']);
    expect(listed.code).toBe(0);
    const page = JSON.parse(listed.stdout) as {
      items: Array<{ id: string; domain: string; status: string }>;
    };
    expect(page.items).toContainEqual(expect.objectContaining({ id, domain, status: 'ready' }));

    // FEDOPS_TOKEN overrides the profile: ops staff see the tenant's machine in the fleet.
    const fleet = await fedops(['machines', 'list', '--json'], { FEDOPS_TOKEN: env.tokens.ops });
    expect(fleet.code).toBe(0);
    expect((JSON.parse(fleet.stdout) as { items: Array<{ tenantId: string }> }).items).toContainEqual(
      expect.objectContaining({ tenantId: id }),
    );

    // The fleet for people: the machine by its provider's name.
    const table = await fedops(['machines'], { FEDOPS_TOKEN: env.tokens.ops });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^\\S+ +${id!} +sandbox +local `, 'm'));

    // Tables for people.
    const ops = await fedops(['operations', 'list', '--tenant', id!]);
    expect(ops.code).toBe(0);
    expect(ops.stdout.split('\n')[0]).toMatch(/^ID +KIND +STATUS +STEPS +TENANT +AGE$/);
    expect(ops.stdout).toMatch(new RegExp(`deploy +succeeded +4/4 +${id!}`));

    // An unknown tenant: a readable problem and exit 4.
    const missing = await fedops(['tenants', 'get', '00000000-0000-4000-8000-000000000000']);
    expect(missing).toEqual({
      code: 4,
      stdout: '',
      stderr: 'fedops: Not found: Tenant 00000000-0000-4000-8000-000000000000 not found (404 NOT_FOUND)\n',
    });

    // A bad flag: exit 2 with the usage, nothing sent.
    const bad = await fedops(['tenants', 'list', '--colour']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^fedops: unknown option --colour for "tenants list"\n\nUsage: fedops tenants list/,
    );

    // Delete with --wait: the destroy operation followed to its end.
    const deleted = await fedops(['tenants', 'delete', id!, '--yes', '--wait']);
    expect(deleted.stderr).toMatch(/destroy \w+: succeeded in \d+ s/);
    expect(deleted).toMatchObject({ code: 0, stdout: `Tenant ${id!} (${domain}) is deleted.\n` });
  });

  it('lists and shows providers (ops staff), and reports a plan nobody offers field by field', async () => {
    const asOps = { FEDOPS_TOKEN: env.tokens.ops };
    const list = await fedops(['providers', 'list'], asOps);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME +KIND +LOCATIONS +STATUS +MACHINES +CHECK$/);
    expect(list.stdout).toMatch(/^sandbox +sandbox +local +active +\d+ +ok$/m);
    const shown = await fedops(['providers', 'show', 'sandbox', '--json'], asOps);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      name: 'sandbox',
      kind: 'sandbox',
      credentialFields: [],
    });
    // Operators may not: 403, exit 3.
    const refused = await fedops(['providers', 'list'], { FEDOPS_TOKEN: env.tokens.acme });
    expect(refused.code).toBe(3);

    const gigantic = await fedops(
      [
        'tenants',
        'create',
        '--domain',
        uniqueDomain('cli-plan'),
        '--app',
        'gotosocial',
        '--plan',
        'gigantic',
      ],
      { FEDOPS_TOKEN: env.tokens.acme },
    );
    expect(gigantic.code).toBe(1);
    expect(gigantic.stderr).toMatch(
      /^fedops: .*\(400 VALIDATION_FAILED\)\n {2}plan: is not offered here; valid: .*small/,
    );
  });

  it('exits 3 without a token, saying how to log in', async () => {
    const home = await mkdtemp(join(tmpdir(), 'fedops-e2e-cli-nologin-'));
    try {
      const res = await fedops(['tenants', 'list'], {}, home);
      expect(res.code).toBe(3);
      expect(res.stderr).toContain('fedops: Authentication required: Missing bearer token');
      expect(res.stderr).toContain(
        `hint: not logged in: run \`fedops login --url ${env.apiUrl}\` or set FEDOPS_TOKEN`,
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
