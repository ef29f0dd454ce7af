import {
  countDuplicates,
  median,
  parseProviderArgs,
  renderRunsTable,
  renderSummaryTable,
  runOrder,
  summarizeProvider,
  summaryProblems,
  type ProviderRun,
} from './provider-report';

function run(
  faults: boolean,
  createMs: number,
  deleteMs: number,
  extra: Partial<ProviderRun> = {},
): ProviderRun {
  return {
    kind: 'hetzner',
    faults,
    machines: 10,
    created: 10,
    deleted: 10,
    createMs,
    deleteMs,
    machineCreateMs: [createMs / 2, createMs / 4, createMs],
    createAttempts: faults ? [1, 3, 2] : [1, 1, 1],
    calls: faults ? 110 : 100,
    answered5xx: faults ? 5 : 0,
    answered429: faults ? 6 : 0,
    injected: faults ? { serverError: 5, rateLimit: 6 } : { serverError: 0, rateLimit: 0 },
    attempts: faults ? { create: 17, delete: 11 } : { create: 10, delete: 10 },
    failedAttempts: faults ? { create: 7, delete: 1 } : { create: 0, delete: 0 },
    duplicates: 0,
    unlabelled: 0,
    orphans: 0,
    failureKinds: {},
    errors: [],
    orphanDetails: [],
    ...extra,
  };
}

describe('countDuplicates', () => {
  it('counts every VM beyond the first with the same machine id, and the VMs with none', () => {
    expect(countDuplicates(['a', 'b', 'a', undefined, 'a', 'c', 'b'])).toEqual({
      duplicates: 3,
      unlabelled: 1,
      distinct: 3,
    });
    expect(countDuplicates([])).toEqual({ duplicates: 0, unlabelled: 0, distinct: 0 });
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/empty/);
  });
});

describe('runOrder', () => {
  it('alternates off-on and on-off pairs', () => {
    expect(runOrder(1)).toEqual([false, true]);
    expect(runOrder(2)).toEqual([false, true, true, false]);
    expect(runOrder(3)).toEqual([false, true, true, false, false, true]);
  });
});

describe('summarizeProvider', () => {
  it('takes medians of the runs with and without faults and judges the ratio', () => {
    const s = summarizeProvider([
      run(false, 8000, 2000),
      run(true, 9000, 2500),
      run(true, 10_000, 3000),
      run(false, 9000, 3000),
    ])!;
    expect(s.msOff).toBe(11_000);
    expect(s.msOn).toBe(12_250);
    expect(s.ratio).toBeCloseTo(12_250 / 11_000);
    expect(s.verdict).toBe('PASS');
    expect(s.injectedOn).toBe(11);
    expect(s.injectedShare).toBeCloseTo(0.1);
    expect(s.retriesOn).toBe(8);
    expect(summaryProblems(s)).toEqual([]);
  });

  it('misses the goal above 1.3x and reports the worst duplicates, orphans and failures', () => {
    const s = summarizeProvider([
      run(false, 10_000, 0),
      run(true, 13_500, 0, { orphans: 1, errors: ['boom'] }),
      run(true, 14_000, 0, { duplicates: 2 }),
    ])!;
    expect(s.ratio).toBeCloseTo(1.375);
    expect(s.verdict).toBe('MISS');
    expect(summaryProblems(s)).toEqual([
      'hetzner: 2 duplicate machine(s)',
      'hetzner: 1 orphan machine(s) after the deletes',
      'hetzner: 1 workflow(s) failed in a run',
    ]);
  });

  it('needs a run of each kind', () => {
    expect(summarizeProvider([run(false, 1, 1)])).toBeUndefined();
  });
});

describe('tables', () => {
  it('render one line per run and per provider', () => {
    const runs = [run(false, 8000, 2000), run(true, 9000, 3000)];
    const runsTable = renderRunsTable(runs).split('\n');
    expect(runsTable).toHaveLength(4);
    expect(runsTable[0]).toMatch(/^provider\s+faults\s+N\s+created/);
    expect(runsTable[3]).toMatch(
      /^hetzner\s+on\s+10\s+10\s+10\s+110\s+5\s+6\s+5\+6\s+8\s+3\s+0\s+0\s+4500\s+9000\s+9000\s+3000\s+12000$/,
    );
    const summary = renderSummaryTable([summarizeProvider(runs)!]).split('\n');
    expect(summary[2]).toMatch(
      /^hetzner\s+10\s+100\s+110\s+11 \(10\.0%\)\s+8\s+0\s+0\s+10000\s+12000\s+1\.20x\s+PASS$/,
    );
  });
});

describe('parseProviderArgs', () => {
  const kinds = ['hetzner', 'digitalocean', 'proxmox'] as const;
  it('takes N and providers in any order, defaulting to 50 and all', () => {
    expect(parseProviderArgs([], kinds, 50)).toEqual({ machines: 50, kinds: [...kinds] });
    expect(parseProviderArgs(['--', '20', 'proxmox'], kinds, 50)).toEqual({
      machines: 20,
      kinds: ['proxmox'],
    });
    expect(parseProviderArgs(['hetzner', 'digitalocean', '5'], kinds, 50)).toEqual({
      machines: 5,
      kinds: ['hetzner', 'digitalocean'],
    });
  });
  it('refuses what it does not know', () => {
    expect(() => parseProviderArgs(['aws'], kinds, 50)).toThrow(/unknown argument "aws"/);
    expect(() => parseProviderArgs(['0'], kinds, 50)).toThrow(/1\.\.200/);
  });
});
