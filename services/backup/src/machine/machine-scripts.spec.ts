import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RESTORE_STRATEGIES, type ActivationKind } from '@fedops/contracts';
import { shellQuote } from '@fedops/service-kit';
import {
  backupScript,
  machineLayout,
  restoreScript,
  type AppDataPlan,
  type RunCredentials,
} from './machine-scripts';

const SNAPSHOT_ID = 'ab'.repeat(32);
const ODD_PATH = "/var/lib/it's a path";

/** Secrets with every character a shell treats specially. */
const AWS_SECRET = `se/cr+et'$(touch /tmp/pwned)"\\`;
const credentials: RunCredentials = {
  repository: 's3:http://127.0.0.1:20001/fedops-backups/0b6f3f5e-0c1f-4e43-9a44-5a1b2c3d4e5f',
  password: `pa'ss "word" $HOME \`id\` ; rm -rf / #`,
  backendEnv: {
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    AWS_DEFAULT_REGION: 'us-east-1',
  },
};

const plan: AppDataPlan = {
  app: 'nextcloud',
  dataPaths: ['/var/lib/nextcloud', ODD_PATH],
  databases: ['nextcloud', 'odd-db'],
  hooks: { before: ['nextcloud-occ maintenance:mode --on'], after: ['nextcloud-occ maintenance:mode --off'] },
};

const layouts: Array<[ActivationKind, string]> = [
  ['nixos-rebuild', '/'],
  ['sandbox-standin', "/srv/sandbox/it's root"],
];

function scripts(activation: ActivationKind, fsRoot: string): Array<[string, string]> {
  const layout = machineLayout({ fsRoot, activation });
  return [
    ...[false, true].map((initialised): [string, string] => [
      `backup (${initialised ? 'repository initialised' : 'first backup'})`,
      backupScript({
        layout,
        plan,
        credentials,
        host: 'tenant-1',
        tags: ['app=nextcloud', 'reason=manual'],
        initialised,
      }),
    ]),
    ...RESTORE_STRATEGIES.map((strategy): [string, string] => [
      `restore (${strategy})`,
      restoreScript({
        layout,
        plan,
        credentials,
        snapshotId: SNAPSHOT_ID,
        snapshotBytes: 123_456_789,
        strategy,
        runId: 'op-1',
      }),
    ]),
  ];
}

const cases = layouts.flatMap(([activation, fsRoot]) =>
  scripts(activation, fsRoot).map(([what, text]) => ({ name: `${what} on ${activation}`, text })),
);

/** Runs `script` with sh; its standard output. */
function sh(script: string, cwd?: string): string {
  return execFileSync('sh', ['-c', script], { encoding: 'utf8', ...(cwd !== undefined ? { cwd } : {}) });
}

describe('machine scripts', () => {
  it.each(cases)('$name is valid sh', ({ text }) => {
    expect(() => execFileSync('sh', ['-n'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] })).not.toThrow();
  });

  it.each(cases)('$name holds the secrets only in export lines, quoted', ({ text }) => {
    const secrets = { RESTIC_PASSWORD: credentials.password, AWS_SECRET_ACCESS_KEY: AWS_SECRET };
    for (const [name, secret] of Object.entries(secrets)) {
      const lines = text.split('\n').filter((l) => l.includes(secret) || l.includes(shellQuote(secret)));
      expect(lines).toEqual([`export ${name}=${shellQuote(secret)}`]);
      // The shell reads back exactly the secret, running nothing on the way.
      expect(sh(`${lines[0] ?? ''}; printf %s "$${name}"`)).toBe(secret);
    }
  });

  it('is one function called once read whole, with no stdin: cut off anywhere, it does not parse', () => {
    const layout = { ...machineLayout({ fsRoot: '/', activation: 'nixos-rebuild' }), runHooks: true };
    const text = backupScript({
      layout,
      plan: { app: 'x', dataPaths: [], databases: [], hooks: { before: ['cat; exit 0'], after: [] } },
      credentials,
      host: 'h',
      tags: [],
      initialised: false,
    });
    // Cut off anywhere, the script does not parse, so nothing of it runs.
    expect(() =>
      execFileSync('sh', ['-n'], { input: text.slice(0, text.lastIndexOf('}')), stdio: 'pipe' }),
    ).toThrow();
    expect(text.trimEnd().split('\n').pop()).toBe('fedops_run </dev/null');
  });

  it('quotes a data path with a quote and a space', () => {
    const layout = machineLayout({ fsRoot: '/', activation: 'nixos-rebuild' });
    const text = backupScript({ layout, plan, credentials, host: 'h', tags: [], initialised: true });
    const select = text.split('\n').filter((l) => l.startsWith('if [ -e ') && l.includes('set --'));
    expect(select).toHaveLength(2);
    // Run the generated lines in a folder where both data paths exist: each is one word.
    const root = mkdtempSync(path.join(tmpdir(), 'fedops-scripts-'));
    try {
      for (const p of plan.dataPaths) mkdirSync(path.join(root, p), { recursive: true });
      expect(sh(['set --', ...select, `printf '%s\\n' "$@"`].join('\n'), root)).toBe(
        "var/lib/nextcloud\nvar/lib/it's a path\n",
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    for (const strategy of RESTORE_STRATEGIES) {
      const restore = restoreScript({
        layout,
        plan,
        credentials,
        snapshotId: SNAPSHOT_ID,
        snapshotBytes: 1,
        strategy,
        runId: 'op-1',
      });
      expect(restore).toContain(`"$root"${shellQuote(ODD_PATH)}`);
      expect(sh(`root=/srv; printf %s "$root"${shellQuote(ODD_PATH)}`)).toBe(`/srv${ODD_PATH}`);
    }
  });

  it('refuses a snapshot id that is not a full one, a bad run id and a bad byte count', () => {
    const layout = machineLayout({ fsRoot: '/', activation: 'nixos-rebuild' });
    const input = {
      layout,
      plan,
      credentials,
      snapshotId: SNAPSHOT_ID,
      snapshotBytes: 1,
      strategy: 'safe',
      runId: 'op-1',
    } as const;
    expect(() => restoreScript({ ...input, snapshotId: SNAPSHOT_ID.slice(0, 8) })).toThrow(
      /not a full snapshot id/,
    );
    expect(() => restoreScript({ ...input, snapshotId: 'latest' })).toThrow(/not a full snapshot id/);
    expect(() => restoreScript({ ...input, runId: 'op 1; rm -rf /' })).toThrow(/not a run id/);
    expect(() => restoreScript({ ...input, snapshotBytes: 1e21 })).toThrow(/not a byte count/);
    expect(() => restoreScript({ ...input, snapshotBytes: -1 })).toThrow(/not a byte count/);
  });

  it('refuses a relative data path or one with ..', () => {
    const layout = machineLayout({ fsRoot: '/', activation: 'nixos-rebuild' });
    for (const bad of ['var/lib/files', '/var/lib/../../etc', '..']) {
      expect(() =>
        backupScript({
          layout,
          plan: { ...plan, dataPaths: [bad] },
          credentials,
          host: 'h',
          tags: [],
          initialised: true,
        }),
      ).toThrow(/not an absolute data path/);
    }
  });

  it('lays out a VM at / and a sandbox machine under its file root', () => {
    expect(machineLayout({ fsRoot: '/', activation: 'nixos-rebuild' })).toMatchObject({
      root: '',
      runHooks: true,
    });
    const sandbox = machineLayout({ fsRoot: '/srv/m1/', activation: 'sandbox-standin' });
    expect(sandbox).toMatchObject({ root: '/srv/m1', runHooks: false });
    expect(sandbox.pgDump).toMatch(/^\/usr\/lib\/postgresql\/15\/bin\/pg_dump -h \S+ -p 5432 -U postgres$/);
  });
});
