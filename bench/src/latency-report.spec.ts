import {
  P99_RATIO_GOAL,
  evaluateGoal,
  latencyRatio,
  overallGoal,
  parseRates,
  poolRounds,
  renderLatencyTable,
  summarizeLatency,
  type RoundSample,
} from './latency-report';

function round(
  scenario: string,
  ratePerSecond: number,
  latenciesMs: number[],
  extra: Partial<RoundSample> = {},
): RoundSample {
  return {
    scenario,
    ratePerSecond,
    repeat: 1,
    sent: latenciesMs.length,
    ok: latenciesMs.length,
    errors: {},
    latenciesMs,
    achievedPerSecond: ratePerSecond,
    cpuMs: {},
    ...extra,
  };
}

/** 1..n, shuffled deterministically. */
function oneTo(n: number, scale = 1): number[] {
  return Array.from({ length: n }, (_, i) => (((i * 37) % n) + 1) * scale);
}

describe('summarizeLatency (nearest rank)', () => {
  it('gives p50, p90, p99 as latencies that happened', () => {
    expect(summarizeLatency(oneTo(100))).toEqual({
      count: 100,
      p50: 50,
      p90: 90,
      p99: 99,
      max: 100,
      mean: 50.5,
    });
    expect(summarizeLatency(oneTo(1000))).toMatchObject({ p50: 500, p99: 990 });
    expect(summarizeLatency([7])).toMatchObject({ p50: 7, p99: 7, max: 7 });
  });

  it('gives nothing for no samples', () => {
    expect(summarizeLatency([])).toBeUndefined();
  });
});

describe('the goal', () => {
  it('is met at or below 1.5x, missed above, and never met with failed requests', () => {
    expect(P99_RATIO_GOAL).toBe(1.5);
    expect(evaluateGoal(1.5, 0)).toBe('met');
    expect(evaluateGoal(1.51, 0)).toBe('missed');
    expect(evaluateGoal(1.0, 3)).toBe('errors');
    expect(evaluateGoal(2.5, 0, 3)).toBe('met');
  });

  it('divides by a positive baseline only', () => {
    expect(latencyRatio(3, 2)).toBe(1.5);
    expect(() => latencyRatio(3, 0)).toThrow(/positive/);
  });
});

describe('poolRounds', () => {
  const options = { baseline: 'bare', goalScenarios: ['get'] };

  it('pools the rounds of an endpoint at a rate and compares with the baseline at the same rate', () => {
    const rows = poolRounds(
      [
        round('bare', 100, oneTo(50), { cpuMs: { bare: 40 } }),
        round('get', 100, oneTo(50, 1.2), { cpuMs: { 'tenant-api': 100 } }),
        round('bare', 100, oneTo(50), { repeat: 2, cpuMs: { bare: 60 } }),
        round('get', 100, oneTo(50, 1.2), { repeat: 2, cpuMs: { 'tenant-api': 100 } }),
        round('bare', 300, oneTo(100)),
        round('get', 300, oneTo(100, 2)),
      ],
      options,
    );
    expect(rows.map((r) => [r.ratePerSecond, r.scenario, r.rounds, r.ok])).toEqual([
      [100, 'bare', 2, 100],
      [100, 'get', 2, 100],
      [300, 'bare', 1, 100],
      [300, 'get', 1, 100],
    ]);
    const [bare100, get100, , get300] = rows;
    expect(bare100?.ratio).toEqual({ p50: 1, p99: 1 });
    expect(bare100?.goal).toBeUndefined(); // the goal is not about the baseline
    expect(get100?.ratio?.p50).toBeCloseTo(1.2);
    expect(get100?.ratio?.p99).toBeCloseTo(1.2);
    expect(get100?.goal).toBe('met');
    expect(get300?.ratio?.p99).toBe(2);
    expect(get300?.goal).toBe('missed');
    expect(bare100?.cpuMsPerRequest).toEqual({ bare: 1 });
    expect(get100?.cpuMsPerRequest).toEqual({ 'tenant-api': 2 });
    expect(overallGoal(rows)).toBe('missed');
  });

  it('adds up the errors, and an endpoint with errors misses the goal', () => {
    const rows = poolRounds(
      [
        round('bare', 100, oneTo(10)),
        round('get', 100, oneTo(9), { sent: 10, errors: { 'status 500': 1 } }),
        round('get', 100, oneTo(9), { sent: 10, errors: { 'status 500': 1, timeout: 1 } }),
      ],
      options,
    );
    expect(rows[1]).toMatchObject({
      sent: 20,
      ok: 18,
      errorCount: 3,
      errors: { 'status 500': 2, timeout: 1 },
    });
    expect(rows[1]?.goal).toBe('errors');
    expect(overallGoal(rows)).toBe('errors');
  });

  it('leaves the ratio out where the baseline was not measured at that rate', () => {
    const rows = poolRounds([round('bare', 100, oneTo(10)), round('get', 300, oneTo(10))], options);
    expect(rows[1]?.ratio).toBeUndefined();
    expect(rows[1]?.goal).toBeUndefined();
    expect(overallGoal(rows)).toBeUndefined();
  });

  it('is met overall only when every goal row is met', () => {
    const rows = poolRounds(
      [round('bare', 100, oneTo(10)), round('get', 100, oneTo(10)), round('list', 100, oneTo(10, 9))],
      { baseline: 'bare', goalScenarios: ['get'] },
    );
    expect(overallGoal(rows)).toBe('met'); // `list` is not a goal scenario
  });
});

describe('renderLatencyTable', () => {
  it('prints one line per endpoint and rate with the ratios and the verdict', () => {
    const rows = poolRounds(
      [
        round('bare', 100, oneTo(100, 0.5), { cpuMs: { bare: 20 } }),
        round('get', 100, oneTo(100), { cpuMs: { 'tenant-api': 50, postgres: 10 } }),
      ],
      { baseline: 'bare', goalScenarios: ['get'] },
    );
    const lines = renderLatencyTable(rows, (s) => (s === 'bare' ? 'bare' : 'tenant-api')).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^rate\/s {2}endpoint +ok\/sent {2}errors/);
    expect(lines[2]).toMatch(
      /^ +100 {2}bare +100\/100 +0 +100 +25\.00 +49\.50 +50\.0 +1\.00x +1\.00x +0\.200 +-$/,
    );
    expect(lines[3]).toMatch(
      / get +100\/100 .* 50\.00 +99\.00 +100\.0 +2\.00x +2\.00x {2}missed +0\.500 +0\.100$/,
    );
  });
});

describe('parseRates', () => {
  it('reads the rates, defaulting when none are given', () => {
    expect(parseRates(['100', '300'], [1])).toEqual([100, 300]);
    expect(parseRates(['--'], [100, 300, 600])).toEqual([100, 300, 600]);
  });

  it('refuses what is not a rate', () => {
    expect(() => parseRates(['fast'], [1])).toThrow(/positive integer/);
    expect(() => parseRates(['0'], [1])).toThrow(/1..5000/);
    expect(() => parseRates(['9000'], [1])).toThrow(/1..5000/);
  });
});
