import { renderTable, summarizeRound } from './report';
import type { TenantOutcome } from './tenant-round';

function ready(timeToReadyMs: number, steps: [number, number, number, number]): TenantOutcome {
  const [provision, dns, deploy, backup] = steps;
  return {
    domain: 'x.example',
    outcome: 'ready',
    timeToReadyMs,
    postSentAt: '2026-01-01T00:00:00.000Z',
    stepsMs: { provision, dns, deploy, backup },
  };
}

describe('summarizeRound', () => {
  const deletion = { allDeleted: true, ms: 1000, errors: [] };

  it('computes time-to-ready, the baseline, the overhead and the step breakdown of the ready tenants', () => {
    const outcomes: TenantOutcome[] = [
      ready(8000, [100, 50, 3500, 3700]),
      ready(9000, [200, 60, 4000, 4000]),
      {
        domain: 'y.example',
        outcome: 'failed',
        postSentAt: '2026-01-01T00:00:00.000Z',
        stepsMs: {},
        error: 'boom',
      },
    ];
    const round = summarizeRound(outcomes, [200, 250], { roundMs: 10_000, requests: 150, deletion });
    expect(round).toMatchObject({ tenants: 3, ready: 2, failed: 1, errors: 0 });
    expect(round.timeToReady).toMatchObject({ p50: 8000, p95: 9000 });
    expect(round.baseline).toMatchObject({ p50: 200, p95: 250 });
    expect(round.overhead).toEqual({ ratio: 40, fedopsMs: 7800, fedopsShare: 0.975 });
    // other = time-to-ready minus the critical path max(provision + dns + deploy, backup):
    // 8000 - 3700 = 4300 and 9000 - 4260 = 4740
    expect(round.stepsP50).toEqual({ provision: 100, dns: 50, deploy: 3500, backup: 3700, other: 4300 });
    expect(round.pollRequestsPerSecond).toBe(15);
  });

  it('reports no overhead when nothing became ready', () => {
    const round = summarizeRound(
      [{ domain: 'y.example', outcome: 'error', postSentAt: '2026-01-01T00:00:00.000Z', stepsMs: {} }],
      [200],
      { roundMs: 1000, requests: 1, deletion },
    );
    expect(round.timeToReady).toBeUndefined();
    expect(round.overhead).toBeUndefined();
    expect(renderTable([round])).toMatch(/^\s*1\s+0\/1\s+-\s+-\s+200\s+200\s+-\s+-/m);
  });
});

describe('renderTable', () => {
  it('prints one aligned line per round with the ratio and the share', () => {
    const round = summarizeRound([ready(8000, [100, 50, 3500, 3700])], [200], {
      roundMs: 8000,
      requests: 80,
      deletion: { allDeleted: true, ms: 1, errors: [] },
    });
    const lines = renderTable([round]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^N\s+ready\s+ttr p50\s+ttr p95\s+base p50\s+base p95\s+ratio\s+fedops share/);
    expect(lines[2]).toMatch(
      /1\s+1\/1\s+8000\s+8000\s+200\s+200\s+40\.0x\s+97\.5%\s+100\s+50\s+3500\s+3700\s+4300$/,
    );
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});
