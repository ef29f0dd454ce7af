/**
 * Preloaded into tenant-api by the api benchmark's profile mode (`NODE_OPTIONS=--require <this>`),
 * with `FEDOPS_BENCH_PROFILE_DIR` naming a folder it watches: a file `profile.start` appearing there
 * starts V8's sampling CPU profiler in this process (it answers with `<n>.started`), `profile.stop`
 * stops it and writes the profile (a Chrome DevTools `.cpuprofile`) to `<n>.cpuprofile`, then
 * `<n>.done`. Control files rather than signals: Nest's shutdown hooks take SIGUSR2 (and most others)
 * as a request to stop the service.
 */
import { existsSync, rmSync, watch, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env['FEDOPS_BENCH_PROFILE_DIR'];
const intervalUs = Number(process.env['FEDOPS_BENCH_PROFILE_INTERVAL_US'] ?? '200');

// Preloads run in worker threads too (Temporal's workflow threads): only the main thread, which
// serves HTTP, is profiled and takes the control files.
if (dir !== undefined && isMainThread) {
  const session = new Session();
  session.connect();
  let running = false;
  let count = 0;
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  const start = async (): Promise<void> => {
    if (running) return;
    running = true;
    count += 1;
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: intervalUs });
    await post('Profiler.start');
    writeFileSync(join(dir, `${count}.started`), '');
  };
  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(join(dir, `${count}.cpuprofile`), JSON.stringify(profile));
    writeFileSync(join(dir, `${count}.done`), '');
  };
  /** Acts on a control file once: it is removed first, so the watcher's repeated events find nothing. */
  const take = (name: string): boolean => {
    const file = join(dir, name);
    if (!existsSync(file)) return false;
    rmSync(file, { force: true });
    return true;
  };
  const report = (err: unknown): void => {
    process.stderr.write(`cpu-profile-preload: ${String(err)}\n`);
  };
  watch(dir, { persistent: false }, (_event, name) => {
    if (name === 'profile.start' && take(name)) start().catch(report);
    if (name === 'profile.stop' && take(name)) stop().catch(report);
  });
}
