import { DEFAULT_BACKUP_POLICY } from '@fedops/contracts';
import { thrownFedopsError } from '@fedops/testing';
import { parseBackupPolicy, parseBackupRequest, parseRestoreRequest } from './backup-requests';

const fields = (fn: () => unknown): string[] =>
  (thrownFedopsError(fn).details.fields ?? []).map((f) => f.field);
const SNAPSHOT = 'c'.repeat(64);

describe('backup requests', () => {
  it('takes a backup of every app with an empty object, of some apps with `apps`; no body is no request', () => {
    expect(parseBackupRequest({})).toEqual({});
    expect(fields(() => parseBackupRequest(undefined))).toEqual(['(body)']);
    expect(parseBackupRequest({ apps: ['forgejo', 'matrix', 'forgejo'] })).toEqual({
      apps: ['forgejo', 'matrix'],
    });
  });

  it('names every bad field of a backup request', () => {
    expect(fields(() => parseBackupRequest({ apps: [] }))).toEqual(['apps']);
    expect(fields(() => parseBackupRequest({ apps: ['Forgejo', 7] }))).toEqual(['apps[0]', 'apps[1]']);
    expect(fields(() => parseBackupRequest({ app: 'forgejo' }))).toEqual(['app']);
    expect(fields(() => parseBackupRequest([]))).toEqual(['(body)']);
  });

  it('takes a restore of snapshots by a strategy, and names what is missing or wrong', () => {
    expect(parseRestoreRequest({ snapshotIds: [SNAPSHOT, SNAPSHOT], strategy: 'in-place' })).toEqual({
      snapshotIds: [SNAPSHOT],
      strategy: 'in-place',
    });
    expect(fields(() => parseRestoreRequest({}))).toEqual(['snapshotIds', 'strategy']);
    expect(fields(() => parseRestoreRequest({ snapshotIds: ['abc'], strategy: 'overwrite' }))).toEqual([
      'snapshotIds[0]',
      'strategy',
    ]);
  });

  it('takes a whole backup policy, the default among them', () => {
    expect(parseBackupPolicy(DEFAULT_BACKUP_POLICY)).toEqual(DEFAULT_BACKUP_POLICY);
    const manualOnly = { ...DEFAULT_BACKUP_POLICY, intervalHours: 0, retention: { keepLast: 1 } };
    expect(parseBackupPolicy(manualOnly)).toEqual(manualOnly);
  });

  it('refuses a retention that keeps nothing, saying so', () => {
    const error = thrownFedopsError(() => parseBackupPolicy({ ...DEFAULT_BACKUP_POLICY, retention: {} }));
    expect(error.details.fields).toEqual([
      { field: 'retention', message: expect.stringContaining('keeps nothing') },
    ]);
  });

  it('names every bad field of a policy', () => {
    expect(
      fields(() =>
        parseBackupPolicy({
          intervalHours: 200,
          retention: { keepDaily: 0, keepForever: 1 },
          checkIntervalDays: 'weekly',
          checkReadDataPercent: 0,
          colour: 'blue',
        }),
      ),
    ).toEqual([
      'colour',
      'intervalHours',
      'checkIntervalDays',
      'checkReadDataPercent',
      'retention.keepForever',
      'retention.keepDaily',
    ]);
  });
});
