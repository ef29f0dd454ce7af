import { BatchRunner, type Settled } from './batch-runner';

describe('BatchRunner', () => {
  it('handles the items submitted during a round together in the next round', async () => {
    const rounds: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runner = new BatchRunner<number, number>(async (items) => {
      rounds.push([...items]);
      if (rounds.length === 1) await gate;
      return items.map((n): Settled<number> =>
        n < 0 ? { ok: false, error: new Error(`bad ${n}`) } : { ok: true, value: n * 10 },
      );
    });
    const first = runner.submit(1);
    const later = [runner.submit(2), runner.submit(-3), runner.submit(4)];
    release();
    await expect(first).resolves.toBe(10);
    const settled = await Promise.allSettled(later);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : String(s.reason)))).toEqual([
      20,
      'Error: bad -3',
      40,
    ]);
    expect(rounds).toEqual([[1], [2, -3, 4]]);
  });

  it('fails every item of a round that throws, and keeps serving later rounds', async () => {
    let fail = true;
    const runner = new BatchRunner<string, string>(async (items) => {
      if (fail) throw new Error('round failed');
      return items.map((value): Settled<string> => ({ ok: true, value }));
    });
    const failed = await Promise.allSettled([runner.submit('a'), runner.submit('b')]);
    expect(failed.every((s) => s.status === 'rejected')).toBe(true);
    fail = false;
    await expect(runner.submit('c')).resolves.toBe('c');
  });

  it('rejects an item the round returned no outcome for', async () => {
    const runner = new BatchRunner<string, string>(async () => []);
    await expect(runner.submit('x')).rejects.toThrow(/no outcome/);
  });
});
