import {
  parseRounds,
  pathOrder,
  renderSplitTable,
  renderSummaryTable,
  runProblems,
  s3Prefix,
  summarizePhase,
  type BackupRun,
  type ResticSummary,
} from './backup-report';

function summary(over: Partial<ResticSummary> = {}): ResticSummary {
  return {
    snapshotId: 'abcd1234',
    filesNew: 10,
    filesChanged: 0,
    filesUnmodified: 0,
    dataAdded: 1000,
    totalFilesProcessed: 10,
    totalBytesProcessed: 5000,
    durationMs: 800,
    ...over,
  };
}

function run(over: Partial<BackupRun> & Pick<BackupRun, 'round' | 'path'>): BackupRun {
  return { phase: 'initial', position: 1, wallMs: 1000, load: 0, summary: summary(), ...over };
}

describe('parseRounds', () => {
  it('defaults to 3 and takes one integer within 1..20', () => {
    expect(parseRounds([])).toBe(3);
    expect(parseRounds(['--', '5'])).toBe(5);
    expect(() => parseRounds(['0'])).toThrow(/1\.\.20/);
    expect(() => parseRounds(['2.5'])).toThrow(/positive integer/);
    expect(() => parseRounds(['1', '2'])).toThrow(/at most one/);
  });
});

describe('s3Prefix', () => {
  it('is the path after the bucket of an s3: URL', () => {
    expect(s3Prefix('s3:http://127.0.0.1:7070/fedops-backups/c0ffee00-0000', 'fedops-backups')).toBe(
      'c0ffee00-0000',
    );
    expect(s3Prefix('s3:https://s3.example.org/b-1/a/b/', 'b-1')).toBe('a/b');
  });

  it('refuses another bucket or a URL without a prefix', () => {
    expect(() => s3Prefix('s3:http://127.0.0.1:7070/other/t', 'fedops-backups')).toThrow(/not a repository/);
    expect(() => s3Prefix('s3:http://127.0.0.1:7070/fedops-backups', 'fedops-backups')).toThrow(
      /not a repository/,
    );
    expect(() => s3Prefix('/srv/restic/t', 'fedops-backups')).toThrow(/not a repository/);
  });
});

describe('pathOrder', () => {
  it('rotates the paths, so that over three rounds each runs once in each position', () => {
    expect(pathOrder(1)).toEqual(['fedops', 'restic-ssh', 'restic-local']);
    expect(pathOrder(2)).toEqual(['restic-ssh', 'restic-local', 'fedops']);
    expect(pathOrder(3)).toEqual(['restic-local', 'fedops', 'restic-ssh']);
    expect(pathOrder(4)).toEqual(pathOrder(1));
  });
});

describe('summarizePhase', () => {
  const runs: BackupRun[] = [
    run({ round: 1, path: 'fedops', wallMs: 1200, machineMs: 1100, lookupsMs: 100 }),
    run({ round: 1, path: 'restic-ssh', wallMs: 1000, machineMs: 1000 }),
    run({ round: 1, path: 'restic-local', wallMs: 900 }),
    run({ round: 2, path: 'fedops', wallMs: 1500, machineMs: 1300, lookupsMs: 200 }),
    run({ round: 2, path: 'restic-ssh', wallMs: 1100, summary: summary({ dataAdded: 3000 }) }),
    run({ round: 2, path: 'restic-local', wallMs: 800 }),
    run({ round: 3, path: 'fedops', wallMs: 1000, machineMs: 900, lookupsMs: 100 }),
    run({ round: 3, path: 'restic-ssh', wallMs: 1000 }),
    run({ round: 3, path: 'restic-local', wallMs: 500, summary: summary({ durationMs: 400 }) }),
    // round 4: restic over SSH failed, so the round does not count
    run({ round: 4, path: 'fedops', wallMs: 9000 }),
    run({ round: 4, path: 'restic-ssh', wallMs: 0, error: 'boom' }),
    run({ round: 4, path: 'restic-local', wallMs: 1 }),
    run({ round: 1, path: 'fedops', phase: 'changed', wallMs: 50 }),
    run({ round: 1, path: 'restic-local', phase: 'changed', wallMs: 40 }),
  ];

  it('compares fedops with each baseline over the rounds where all three succeeded', () => {
    const s = summarizePhase(runs, 'initial')!;
    expect(s.rounds).toBe(3);
    expect(s.wallMs).toEqual({ fedops: 1200, 'restic-ssh': 1000, 'restic-local': 800 });
    expect(s.overSsh.ratio).toBeCloseTo(1.2);
    // per round 1.2, 1.364, 1.0
    expect(s.overSsh.roundRatio).toBeCloseTo(1.2);
    expect(s.goalMet).toBe(false);
    expect(s.overLocal.ratio).toBeCloseTo(1.5);
    // per round 1.333, 1.875, 2.0
    expect(s.overLocal.roundRatio).toBeCloseTo(1.875);
    expect(s.overheadMs).toBe(200);
    expect(s.addedBytes).toEqual({ fedops: 1000, 'restic-ssh': 1000, 'restic-local': 1000 });
    expect(s.resticMs['restic-local']).toBe(800);
    expect(s.fedopsLookupsMs).toBe(100);
    expect(s.fedopsScriptMs).toBe(1100 - 800);
    expect(s.sshRestMs).toBe(1000 - 800);
    // restic over SSH did not run in the changed phase
    expect(summarizePhase(runs, 'changed')).toBeUndefined();
  });

  it('renders the ratios and the verdict against restic over SSH', () => {
    const s = summarizePhase(runs, 'initial')!;
    expect(renderSummaryTable([s])).toMatch(/^initial +3 +1200 +1000 +800 +1\.20x +missed +1\.50x /m);
    expect(renderSplitTable([s])).toMatch(/^initial +200 +800 +300 +100 +800 +200 +800 +0 +1\.20x +1\.88x$/m);
  });

  it('meets the goal at 1.1x restic over SSH exactly, however far from local restic', () => {
    const s = summarizePhase(
      [
        run({ round: 1, path: 'fedops', wallMs: 1100 }),
        run({ round: 1, path: 'restic-ssh', wallMs: 1000 }),
        run({ round: 1, path: 'restic-local', wallMs: 200 }),
      ],
      'initial',
    );
    expect(s?.goalMet).toBe(true);
    expect(s?.overLocal.ratio).toBeCloseTo(5.5);
  });
});

describe('runProblems', () => {
  it('names failed runs and backups of one phase that saw different data', () => {
    const problems = runProblems([
      run({ round: 1, path: 'fedops' }),
      run({ round: 1, path: 'restic-ssh' }),
      run({ round: 1, path: 'restic-local', summary: summary({ totalBytesProcessed: 4999 }) }),
      run({ round: 2, path: 'fedops', wallMs: 0, error: 'ssh failed' }),
      run({ round: 2, path: 'restic-ssh' }),
    ]);
    expect(problems).toEqual([
      'round 2 initial fedops: ssh failed',
      'round 1 initial: backed up different data: fedops 10 files / 5000 bytes, ' +
        'restic-ssh 10 files / 5000 bytes, restic-local 10 files / 4999 bytes',
    ]);
  });
});
