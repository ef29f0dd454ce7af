import { WaitForAbortedError, WaitForTimeoutError, waitFor } from './wait-for';

describe('waitFor', () => {
  it('returns the first value that is not undefined, null or false', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : false), {
      description: 'third call',
      intervalMs: 1,
    });
    expect(value).toEqual({ calls: 3 });
  });

  it('returns falsy-but-real values such as 0 and empty string', async () => {
    await expect(waitFor(() => 0, { description: 'zero' })).resolves.toBe(0);
    await expect(waitFor(async () => '', { description: 'empty' })).resolves.toBe('');
  });

  it('treats a throwing condition as not yet and keeps trying', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls += 1;
        if (calls < 4) throw new Error(`not yet ${calls}`);
        return 'ok';
      },
      { description: 'eventually ok', intervalMs: 1 },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(4);
  });

  it('times out with the description, the attempts and the last error as cause', async () => {
    const last = new Error('connection refused');
    const started = Date.now();
    const error: unknown = await waitFor(
      () => {
        throw last;
      },
      { description: 'the database', timeoutMs: 120, intervalMs: 20 },
    ).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(error).toBeInstanceOf(WaitForTimeoutError);
    const timeout = error as WaitForTimeoutError;
    expect(timeout.message).toMatch(/Timed out after 120 ms waiting for the database/);
    expect(timeout.message).toMatch(/last error: connection refused/);
    expect(timeout.cause).toBe(last);
    expect(timeout.attempts).toBeGreaterThan(1);
  });

  it('does not wait past the deadline for a hanging attempt', async () => {
    const started = Date.now();
    await expect(
      waitFor(() => new Promise<boolean>(() => undefined), { description: 'a hang', timeoutMs: 100 }),
    ).rejects.toThrow(WaitForTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops early when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('postgres exited with code 1')), 30);
    const started = Date.now();
    const error: unknown = await waitFor(() => false, {
      description: 'postgres',
      timeoutMs: 5_000,
      intervalMs: 1_000,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitForAbortedError);
    expect((error as Error).message).toBe('Stopped waiting for postgres: postgres exited with code 1');
    expect(Date.now() - started).toBeLessThan(900);
  });
});
