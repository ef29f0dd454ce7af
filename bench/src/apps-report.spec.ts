import { breakdown, renderBreakdown, renderComparison, summarizeApps, type AppsRound } from './apps-report';
import type { TenantOutcome } from './tenant-round';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/**
 * A ready tenant whose POST left at T0, with each step's [start, end] in ms after T0 and
 * time-to-ready `ttr`.
 */
function tenant(
  ttr: number,
  spans: Record<'provision' | 'dns' | 'deploy' | 'backup', [number, number]>,
): TenantOutcome {
  const steps = Object.entries(spans).map(([name, [start, end]]) => ({
    name,
    status: 'succeeded',
    startedAt: at(start),
    finishedAt: at(end),
  }));
  return {
    domain: 'x.example',
    outcome: 'ready',
    timeToReadyMs: ttr,
    postSentAt: at(0),
    stepsMs: Object.fromEntries(Object.entries(spans).map(([name, [start, end]]) => [name, end - start])),
    operation: { id: 'op', status: 'succeeded', steps },
  };
}

// provision 1000, dns 100, deploy 8000 (chain 9100), backup 4000 alongside from 100 ms.
const allApps = (ttr: number, deployEnd = 9400): TenantOutcome =>
  tenant(ttr, { provision: [100, 1100], dns: [1200, 1300], deploy: [1400, deployEnd], backup: [100, 4100] });
const mastodon = (ttr: number, deployMs: number): TenantOutcome =>
  tenant(ttr, {
    provision: [100, 1100],
    dns: [1200, 1300],
    deploy: [1400, 1400 + deployMs],
    backup: [100, 4100],
  });

function round(n: number, all: TenantOutcome, one: TenantOutcome): AppsRound {
  return { round: n, appCount: 8, all, one, first: 'all', deletionMs: { all: 1, one: 1 } };
}

describe('breakdown', () => {
  it('takes the critical path, not the sum of the steps, as what the steps cost', () => {
    const b = breakdown(allApps(10_000));
    expect(b?.criticalPath).toEqual({ ms: 9100, steps: ['provision', 'dns', 'deploy'] });
    expect(b?.otherMs).toBe(900);
    expect(b?.ratio).toBeCloseTo(10_000 / 9100, 10);
    expect(b?.shares).toEqual({ provision: 0.1, dns: 0.01, deploy: 0.8, backup: 0.4 });
  });

  it('locates the rest along the path: before its first step, between its steps, after its last', () => {
    // first step at 100; gaps 1100->1200 and 1300->1400; ready 600 ms after deploy ended at 9400.
    expect(breakdown(allApps(10_000))?.otherParts).toEqual({ beforeMs: 100, betweenMs: 200, afterMs: 600 });
  });

  it('gives none for a tenant that did not become ready', () => {
    expect(breakdown({ ...allApps(10_000), outcome: 'failed' })).toBeUndefined();
  });

  it('gives none when a step has no duration', () => {
    const t = allApps(10_000);
    expect(breakdown({ ...t, stepsMs: { ...t.stepsMs, backup: undefined } })).toBeUndefined();
  });
});

describe('summarizeApps', () => {
  const rounds = [
    round(1, allApps(10_000), mastodon(4000, 2000)),
    round(2, allApps(11_000), mastodon(4100, 2100)),
    round(3, allApps(9_500), mastodon(3900, 1900)),
  ];

  it('adds a median line taking each column on its own, and judges the goal on the median ratio', () => {
    const s = summarizeApps(rounds);
    expect(s.breakdown.map((r) => r.label)).toEqual(['1', '2', '3', 'median']);
    const med = s.breakdown[3]!;
    expect(med.timeToReadyMs).toBe(10_000);
    expect(med.otherMs).toBe(900);
    expect(med.path).toBe('provision>dns>deploy');
    expect(s.goal).toEqual({ ratio: 10_000 / 9100, goal: 1.1, met: true });
  });

  it('misses the goal when the median time-to-ready is above 1.1x the critical path', () => {
    const slow = [round(1, allApps(10_100), mastodon(4000, 2000))];
    expect(summarizeApps(slow).goal?.met).toBe(false);
  });

  it('compares the deploy step of the whole catalog with Mastodon alone, per extra app', () => {
    const c = summarizeApps(rounds).comparison;
    expect(c[0]).toEqual({
      label: '1',
      deployOneMs: 2000,
      deployAllMs: 8000,
      ratio: 4,
      perExtraAppMs: 6000 / 7,
      timeToReadyOneMs: 4000,
      timeToReadyAllMs: 10_000,
    });
    expect(c[3]).toMatchObject({ label: 'median', deployOneMs: 2000, deployAllMs: 8000 });
  });

  it('leaves out of the comparison a round whose Mastodon tenant failed, and keeps its breakdown', () => {
    const s = summarizeApps([round(1, allApps(10_000), { ...mastodon(4000, 2000), outcome: 'error' })]);
    expect(s.breakdown.map((r) => r.label)).toEqual(['1', 'median']);
    expect(s.comparison).toEqual([]);
  });
});

describe('rendering', () => {
  const s = summarizeApps([
    round(1, allApps(10_000), mastodon(4000, 2000)),
    round(2, allApps(10_100), mastodon(4000, 2000)),
  ]);

  it('prints each step with its share, the ratio and whether the goal was met, one aligned line per row', () => {
    const lines = renderBreakdown(s.breakdown).split('\n');
    expect(lines[0]).toMatch(
      /^round\s+ttr ms\s+provision\s+dns\s+deploy\s+backup\s+other\s+critical path\s+ttr\/cp\s+goal <= 1.1x\s+path$/,
    );
    expect(lines[2]).toMatch(
      /^1\s+10000\s+1000\s+10%\s+100\s+1%\s+8000\s+80%\s+4000\s+40%\s+900\s+9%\s+9100\s+1\.099x\s+met\s+provision>dns>deploy$/,
    );
    expect(lines[3]).toMatch(/\s1\.110x\s+missed\s/);
    // median (nearest rank) of two rounds is the lower one
    expect(lines[4]).toMatch(/^median\s+10000\s.*\s1\.099x\s+met\s/);
  });

  it('prints the deploy step side by side with the ratio and the cost per extra app', () => {
    const lines = renderComparison(s.comparison, 8).split('\n');
    expect(lines[0]).toMatch(
      /^round\s+deploy 1 app\s+deploy 8 apps\s+ratio\s+per extra app\s+ttr 1 app\s+ttr 8 apps$/,
    );
    expect(lines[2]).toMatch(/^1\s+2000\s+8000\s+4\.00x\s+857\s+4000\s+10000$/);
  });
});
