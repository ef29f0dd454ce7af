import { json, type Handler } from '../testing/fake-io';
import { fedopsAgainstFakeApi } from '../testing/fake-api-cli';

const fedops = fedopsAgainstFakeApi('machines');

const PROVIDER_ID = '9a0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f';
const MACHINE = {
  machineId: 'm-1',
  tenantId: 't-1',
  provider: 'sandbox',
  providerId: PROVIDER_ID,
  location: 'local',
  address: '10.213.0.2',
  sshPort: 22,
  sshUser: 'root',
  sshHostKey: 'ssh-ed25519 AAAA',
  fsRoot: '/',
  activation: 'sandbox-standin',
};
const ORPHAN = {
  kind: 'orphan',
  providerId: PROVIDER_ID,
  providerName: 'sandbox',
  externalId: 'fte-0a1b2c3d',
  name: 'fedops-7d0c2a9e',
  machineId: null,
  tenantId: null,
  firstSeenAt: '2026-12-01T09:55:00.000Z',
  lastSeenAt: '2026-12-01T09:58:00.000Z',
};
const REPORT = {
  checkedAt: '2026-12-01T09:58:00.000Z',
  providers: [
    { providerId: PROVIDER_ID, name: 'sandbox', ok: true, machines: 2 },
    { providerId: 'p2', name: 'pve-fra1', ok: false, error: 'connect ECONNREFUSED', machines: 0 },
  ],
  findings: [ORPHAN],
};

describe('fedops machines', () => {
  it('lists the fleet by provider name, then the last reconciliation and its findings', async () => {
    const { code, io } = await fedops(['machines'], () =>
      json(200, { items: [MACHINE], reconciliation: REPORT }),
    );
    expect(code).toBe(0);
    expect(io.requests[0]?.url.pathname).toBe('/v1/machines');
    expect(io.stdout.text.split('\n')).toEqual([
      'MACHINE  TENANT  PROVIDER  LOCATION  SSH                 ACTIVATION',
      'm-1      t-1     sandbox   local     root@10.213.0.2:22  sandbox-standin',
      '',
      'Reconciled 2m ago: sandbox ok (2 machines), pve-fra1 failed (connect ECONNREFUSED).',
      'FINDING  PROVIDER  EXTERNAL ID   NAME             TENANT  FIRST SEEN',
      'orphan   sandbox   fte-0a1b2c3d  fedops-7d0c2a9e  -       5m ago',
      '',
    ]);
    expect(io.stderr.text).toContain('`fedops machines cleanup` (a dry run)');
  });

  it('names providers from GET /v1/providers before the first reconciliation, else by kind', async () => {
    const fleet = { items: [MACHINE], reconciliation: null };
    const named = await fedops(['machines'], (req) =>
      req.url.pathname === '/v1/providers'
        ? json(200, { items: [{ id: PROVIDER_ID, name: 'sandbox-b' }] })
        : json(200, fleet),
    );
    expect(named.io.stdout.text).toMatch(/^m-1 +t-1 +sandbox-b +local /m);
    const unnamed = await fedops(['machines'], (req) =>
      req.url.pathname === '/v1/providers'
        ? json(403, { title: 'Forbidden', status: 403, detail: 'needs providers:read', code: 'FORBIDDEN' })
        : json(200, fleet),
    );
    expect(unnamed.code).toBe(0);
    expect(unnamed.io.stdout.text).toMatch(/^m-1 +t-1 +sandbox +local /m);
  });

  it('says so before the first reconciliation, and when there is nothing to find', async () => {
    const never = await fedops(['machines', 'list'], () => json(200, { items: [], reconciliation: null }));
    expect(never.io.stdout.text).toBe(
      'No machines.\n\nNot reconciled yet: the machine reconciler has not run.\n',
    );
    const clean = await fedops(['machines', 'ls'], () =>
      json(200, { items: [], reconciliation: { ...REPORT, providers: [], findings: [] } }),
    );
    expect(clean.io.stdout.text).toBe(
      'No machines.\n\nReconciled 2m ago: no providers.\nNo orphans, no missing machines.\n',
    );
    expect(clean.io.stderr.text).toBe('');
  });

  it('prints the API’s JSON with --json', async () => {
    const body = { items: [MACHINE], reconciliation: null };
    const { io } = await fedops(['machines', '--json'], () => json(200, body));
    expect(JSON.parse(io.stdout.text)).toEqual(body);
  });

  it('cleans up as a dry run without --yes, and deletes with it', async () => {
    const answer: Handler = (req) => {
      const { dryRun } = JSON.parse(req.body ?? '{}') as { dryRun: boolean };
      return json(200, {
        dryRun,
        orphans: [ORPHAN],
        skipped: [{ externalId: 'fte-9', providerName: 'sandbox', why: 'gone at the provider' }],
      });
    };
    const dry = await fedops(['machines', 'cleanup'], answer);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.io.requests[0]?.body ?? '')).toEqual({ dryRun: true });
    expect(dry.io.stdout.text.split('\n')).toEqual([
      'A dry run: 1 orphan(s) would be deleted, nothing was.',
      'FINDING  PROVIDER  EXTERNAL ID   NAME             TENANT  FIRST SEEN',
      'orphan   sandbox   fte-0a1b2c3d  fedops-7d0c2a9e  -       5m ago',
      'Left alone: sandbox fte-9: gone at the provider',
      '',
    ]);
    expect(dry.io.stderr.text).toBe('Delete them with: fedops machines cleanup --yes\n');

    const done = await fedops(['machines', 'cleanup', '--yes'], answer);
    expect(JSON.parse(done.io.requests[0]?.body ?? '')).toEqual({ dryRun: false });
    expect(done.io.stdout.text).toMatch(/^Deleted 1 orphan\(s\)\.\n/);
    expect(done.io.stderr.text).toBe('');
  });

  it('refuses an unknown subcommand, and shows the group’s usage with its optional command', async () => {
    const bad = await fedops(['machines', 'prune'], () => json(200, {}));
    expect(bad.code).toBe(2);
    expect(bad.io.stderr.text).toContain('unknown command "prune" for "machines"');
    const help = await fedops(['machines', '--help'], () => json(200, {}));
    expect(help.io.stdout.text).toMatch(/^Usage: fedops machines \[<command>\] \[options\]/);
    expect(help.io.requests).toHaveLength(0);
  });
});
