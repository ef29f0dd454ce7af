import { scheduleSpec } from './backup-schedules';

const HOUR = 3600_000;

describe('the backup schedule of a tenant', () => {
  it('runs every interval, at an offset within it that the tenant id alone decides', () => {
    const spec = scheduleSpec('0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e', 24);
    expect(spec).toEqual(scheduleSpec('0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e', 24));
    const [interval] = spec.intervals ?? [];
    expect(interval?.every).toBe(24 * HOUR);
    expect(Number(interval?.offset)).toBeGreaterThanOrEqual(0);
    expect(Number(interval?.offset)).toBeLessThan(24 * HOUR);
    expect(Number(interval?.offset) % 60_000).toBe(0);
  });

  it('spreads a fleet over the interval instead of starting every backup at once', () => {
    const offsets = new Set(
      Array.from({ length: 100 }, (_, i) => Number(scheduleSpec(`tenant-${i}`, 24).intervals?.[0]?.offset)),
    );
    expect(offsets.size).toBeGreaterThan(90);
    const hours = new Set([...offsets].map((o) => Math.floor(o / HOUR)));
    expect(hours.size).toBeGreaterThan(15);
  });
});
