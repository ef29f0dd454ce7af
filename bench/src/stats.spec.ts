import { overhead, parseCounts, percentile, spanMs, summarize } from './stats';

describe('percentile (nearest rank)', () => {
  it('picks a sample that happened, never an interpolation', () => {
    const samples = [5, 1, 4, 2, 3];
    expect(percentile(samples, 0.5)).toBe(3);
    expect(percentile(samples, 0.95)).toBe(5);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile([10, 20], 0.5)).toBe(10);
  });

  it('puts p95 of 20 samples at the 19th', () => {
    const samples = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(samples, 0.95)).toBe(19);
  });

  it('refuses an empty sample or a quantile outside 0..1', () => {
    expect(() => percentile([], 0.5)).toThrow(/empty/);
    expect(() => percentile([1], 1.5)).toThrow(/0..1/);
  });
});

describe('summarize', () => {
  it('gives nothing for no samples and every figure otherwise', () => {
    expect(summarize([])).toBeUndefined();
    expect(summarize([300, 100, 200])).toEqual({
      count: 3,
      p50: 200,
      p95: 300,
      min: 100,
      max: 300,
      mean: 200,
    });
  });
});

describe('overhead', () => {
  it('is the ratio against the baseline and the share that is not Temporal', () => {
    expect(overhead(8000, 200)).toEqual({ ratio: 40, fedopsMs: 7800, fedopsShare: 0.975 });
  });

  it('refuses a baseline that is not positive', () => {
    expect(() => overhead(100, 0)).toThrow(/positive/);
  });
});

describe('spanMs', () => {
  it('measures between ISO instants and ignores missing ones', () => {
    expect(spanMs('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.250Z')).toBe(1250);
    expect(spanMs(undefined, '2026-01-01T00:00:01.250Z')).toBeUndefined();
    expect(spanMs('nonsense', '2026-01-01T00:00:01.250Z')).toBeUndefined();
  });
});

describe('parseCounts', () => {
  it('reads the tenant counts, defaulting when none are given', () => {
    expect(parseCounts(['1', '10'], [1, 10, 50])).toEqual([1, 10]);
    expect(parseCounts(['--', '5'], [1])).toEqual([5]);
    expect(parseCounts([], [1, 10, 50])).toEqual([1, 10, 50]);
  });

  it('refuses what is not a count', () => {
    expect(() => parseCounts(['ten'], [1])).toThrow(/positive integer/);
    expect(() => parseCounts(['0'], [1])).toThrow(/1..200/);
  });
});
