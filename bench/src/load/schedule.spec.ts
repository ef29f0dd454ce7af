import { dueCount, firstIndexAtOrAfter, intendedSendMs, requestCount } from './schedule';

describe('the open-model schedule', () => {
  it('spaces requests evenly at the rate, from the start', () => {
    expect([0, 1, 2, 3].map((i) => intendedSendMs(i, 100))).toEqual([0, 10, 20, 30]);
    expect(intendedSendMs(600, 600)).toBe(1000);
    expect(intendedSendMs(1, 300)).toBeCloseTo(3.333, 3);
  });

  it('holds rate x duration requests, the last one due before the end', () => {
    expect(requestCount(100, 10_000)).toBe(1000);
    expect(requestCount(300, 10_000)).toBe(3000);
    expect(requestCount(600, 1_500)).toBe(900);
    expect(intendedSendMs(requestCount(300, 1_000) - 1, 300)).toBeLessThan(1_000);
  });

  it('starts a window after a warm-up at the first request due at or after it', () => {
    expect(firstIndexAtOrAfter(1_000, 300)).toBe(300);
    expect(firstIndexAtOrAfter(10, 300)).toBe(3); // 3 x 3.33 ms = 10 ms exactly
    expect(firstIndexAtOrAfter(11, 300)).toBe(4);
    expect(firstIndexAtOrAfter(0, 300)).toBe(0);
  });

  it('sends what is due by now, whatever has been answered, and never more than the total', () => {
    expect(dueCount(-1, 100, 50)).toBe(0);
    expect(dueCount(0, 100, 50)).toBe(1); // request 0 is due at once
    expect(dueCount(9.9, 100, 50)).toBe(1);
    expect(dueCount(10, 100, 50)).toBe(2);
    expect(dueCount(10_000, 100, 50)).toBe(50);
    // A generator that wakes up late sends everything it owes in one go (and measures it from then).
    expect(dueCount(95, 100, 50)).toBe(10);
  });

  it('agrees with itself: request i is due exactly when dueCount passes i', () => {
    for (const rate of [100, 300, 600, 7]) {
      for (let i = 0; i < 200; i += 1) {
        const at = intendedSendMs(i, rate);
        expect(dueCount(at, rate, 1_000)).toBe(i + 1);
        expect(firstIndexAtOrAfter(at, rate)).toBe(i);
      }
    }
  });

  it('refuses a rate that is not positive', () => {
    expect(() => intendedSendMs(1, 0)).toThrow(/positive/);
    expect(() => requestCount(-5, 1000)).toThrow(/positive/);
    expect(() => intendedSendMs(-1, 100)).toThrow(/non-negative/);
  });
});
