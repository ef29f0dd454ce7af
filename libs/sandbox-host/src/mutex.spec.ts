import { Mutex } from './mutex';

describe('Mutex', () => {
  it('runs tasks one at a time in call order, even when one fails', async () => {
    const mutex = new Mutex();
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = mutex.runExclusive(async () => {
      events.push('first:start');
      await gate;
      events.push('first:end');
      throw new Error('boom');
    });
    const second = mutex.runExclusive(async () => {
      events.push('second');
      return 2;
    });
    await Promise.resolve();
    expect(events).toEqual(['first:start']);
    release();
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe(2);
    expect(events).toEqual(['first:start', 'first:end', 'second']);
  });
});
