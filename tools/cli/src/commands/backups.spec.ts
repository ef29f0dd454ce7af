import { json, type Handler } from '../testing/fake-io';
import { fedopsAgainstFakeApi } from '../testing/fake-api-cli';
import { bytes } from './backups';

const fedops = fedopsAgainstFakeApi('backups');

const TENANT = '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e';
const SNAPSHOT = {
  id: 'ab'.repeat(32),
  tenantId: TENANT,
  app: 'forgejo',
  reason: 'pre-restore',
  operationId: 'op-1',
  takenAt: '2026-12-01T09:00:00.000Z',
  paths: ['/var/lib/forgejo'],
  databases: ['forgejo'],
  totalBytes: 3 * 1024 * 1024,
  addedBytes: 1536,
  files: 12,
  protected: true,
};
const POLICY = {
  intervalHours: 24,
  retention: { keepLast: 3, keepDaily: 7 },
  checkIntervalDays: 7,
  checkReadDataPercent: 5,
};

describe('fedops backups', () => {
  it('lists snapshots with their sizes, protected ones marked, asking the repository again with --refresh', async () => {
    const { code, io } = await fedops(['backups', 'list', TENANT, '--refresh', '--app', 'forgejo'], () =>
      json(200, { items: [SNAPSHOT] }),
    );
    expect(code).toBe(0);
    const url = io.requests[0]?.url;
    expect([url?.pathname, url?.searchParams.get('refresh'), url?.searchParams.get('app')]).toEqual([
      `/v1/tenants/${TENANT}/snapshots`,
      'true',
      'forgejo',
    ]);
    expect(io.stdout.text).toContain('abababababab  forgejo  pre-restore (kept)');
    expect(io.stdout.text).toContain('3.0 MiB  1.5 KiB');
  });

  it('starts a backup of the apps named and says how to follow it', async () => {
    const { code, io } = await fedops(['backups', 'create', TENANT, '--app', 'forgejo'], () =>
      json(202, { id: 'op-2', kind: 'backup', status: 'pending' }),
    );
    expect(code).toBe(0);
    expect(io.requests[0]?.method).toBe('POST');
    expect(JSON.parse(io.requests[0]?.body ?? '')).toEqual({ apps: ['forgejo'] });
    expect(io.stdout.text).toContain(
      'Backup operation op-2 pending; follow it with: fedops operations get op-2',
    );
  });

  it('needs a strategy to restore, and sends the snapshots and the strategy', async () => {
    const none = await fedops(['backups', 'restore', TENANT, SNAPSHOT.id, '--yes'], () => json(500, {}));
    expect(none.code).toBe(2);
    expect(none.io.requests).toHaveLength(0);
    const { code, io } = await fedops(
      ['backups', 'restore', TENANT, SNAPSHOT.id, '--strategy', 'in-place', '--yes'],
      () => json(202, { id: 'op-3', kind: 'restore', status: 'pending' }),
    );
    expect(code).toBe(0);
    expect(JSON.parse(io.requests[0]?.body ?? '')).toEqual({
      snapshotIds: [SNAPSHOT.id],
      strategy: 'in-place',
    });
  });

  it('shows the policy, and changes only what the flags say (retention merged unless reset)', async () => {
    const handler: Handler = (req) =>
      req.method === 'PUT' ? json(200, JSON.parse(req.body ?? '{}')) : json(200, POLICY);
    const shown = await fedops(['backups', 'policy', TENANT], handler);
    expect(shown.code).toBe(0);
    expect(shown.io.stdout.text).toContain('every 24 h');
    expect(shown.io.stdout.text).toContain('last 3, daily 7');

    const merged = await fedops(['backups', 'policy', TENANT, '--every', '6', '--keep-weekly', '4'], handler);
    expect(merged.code).toBe(0);
    expect(JSON.parse(merged.io.requests[1]?.body ?? '')).toEqual({
      ...POLICY,
      intervalHours: 6,
      retention: { keepLast: 3, keepDaily: 7, keepWeekly: 4 },
    });

    const reset = await fedops(
      ['backups', 'policy', TENANT, '--reset-retention', '--keep-monthly', '6'],
      handler,
    );
    expect(JSON.parse(reset.io.requests[1]?.body ?? '')).toEqual({
      ...POLICY,
      retention: { keepMonthly: 6 },
    });

    const bad = await fedops(['backups', 'policy', TENANT, '--every', 'daily'], handler);
    expect([bad.code, bad.io.requests.length]).toEqual([2, 0]);
  });

  it('prints sizes in binary units', () => {
    expect([bytes(0), bytes(1023), bytes(1536), bytes(5 * 1024 ** 3)]).toEqual([
      '0 B',
      '1023 B',
      '1.5 KiB',
      '5.0 GiB',
    ]);
  });
});
