import { classifyResticFailure, parseBackupSummary, ResticError, retentionArgs } from './restic-cli';

describe('classifyResticFailure', () => {
  it.each([
    // restic 0.14: everything exits 1; told apart by stderr (texts from the real binary).
    [
      1,
      'Fatal: unable to open config file: stat /x/config: no such file or directory\nIs there a repository at the following location?\n/x',
      'repository-not-found',
    ],
    [1, 'Fatal: wrong password or no key found', 'wrong-password'],
    [
      1,
      'unable to create lock in backend: repository is already locked by PID 1 on vm by root (UID 0, GID 0)',
      'locked',
    ],
    [1, 'Fatal: create repository at /x failed: config file already exists', 'repository-exists'],
    [1, 'Fatal: something else', 'other'],
    // restic >= 0.17 exit codes.
    [10, '', 'repository-not-found'],
    [11, '', 'locked'],
    [12, '', 'wrong-password'],
  ] as const)('exit %d with %j is %s', (code, stderr, kind) => {
    expect(classifyResticFailure(code, stderr)).toBe(kind);
  });
});

describe('ResticError', () => {
  it('names the command, kind and the informative line; locks are retryable', () => {
    const err = new ResticError({
      command: 'check',
      kind: 'locked',
      exitCode: 1,
      stderrTail:
        'unable to create lock in backend: repository is already locked by PID 1\nthe `unlock` command can be used',
    });
    expect(err.message).toBe(
      'restic check failed (locked, exit 1): unable to create lock in backend: repository is already locked by PID 1',
    );
    expect(err.retryable).toBe(true);
  });
});

describe('retentionArgs', () => {
  it('maps a policy to keep flags', () => {
    expect(retentionArgs({ keepLast: 3, keepDaily: 7, keepWithin: '1y2m', keepTags: ['manual'] })).toEqual([
      '--keep-last=3',
      '--keep-daily=7',
      '--keep-within=1y2m',
      '--keep-tag=manual',
    ]);
  });

  it('rejects an empty policy and bad values', () => {
    expect(() => retentionArgs({})).toThrow(/keeps nothing/);
    expect(() => retentionArgs({ keepLast: 0 })).toThrow(/positive integer/);
    expect(() => retentionArgs({ keepWithin: '7 days' })).toThrow(/1y5m7d2h/);
    expect(() => retentionArgs({ keepTags: ['a,b'] })).toThrow(/invalid retention tag/);
  });
});

describe('parseBackupSummary', () => {
  it('reads the summary line of restic 0.14 among status lines, with its duration in ms', () => {
    const stdout = [
      '{"message_type":"status","percent_done":0,"total_files":1,"total_bytes":100000}',
      '{"message_type":"summary","files_new":1,"files_changed":2,"files_unmodified":3,"data_added":100705,' +
        '"total_files_processed":6,"total_bytes_processed":100000,"total_duration":0.217979576,"snapshot_id":"3fd6f948"}',
      '',
    ].join('\n');
    expect(parseBackupSummary(stdout)).toEqual({
      snapshotId: '3fd6f948',
      filesNew: 1,
      filesChanged: 2,
      filesUnmodified: 3,
      dataAdded: 100705,
      totalFilesProcessed: 6,
      totalBytesProcessed: 100000,
      durationMs: 218,
    });
  });

  it('is undefined without a summary (a cut-off run)', () => {
    expect(parseBackupSummary('{"message_type":"status","percent_done":0.5}\n{"message_ty')).toBeUndefined();
  });
});
