import { KeyedMutex, Mutex } from './mutex';

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

describe('KeyedMutex', () => {
  it('serialises tasks of one key, runs other keys concurrently, and forgets idle keys', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const a1 = mutex.runExclusive('a', async () => {
      events.push('a1:start');
      await gate;
      events.push('a1:end');
    });
    const a2 = mutex.runExclusive('a', async () => {
      events.push('a2');
    });
    const b = mutex.runExclusive('b', async () => {
      events.push('b');
    });
    await b;
    // b did not wait for a1; a2 still does.
    expect(events).toEqual(['a1:start', 'b']);
    expect(mutex.size).toBe(1);
    release();
    await Promise.all([a1, a2]);
    expect(events).toEqual(['a1:start', 'b', 'a1:end', 'a2']);
    expect(mutex.size).toBe(0);
  });

  it('releases the key when a task fails', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.runExclusive('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.runExclusive('k', () => Promise.resolve(7))).resolves.toBe(7);
    expect(mutex.size).toBe(0);
  });
});
