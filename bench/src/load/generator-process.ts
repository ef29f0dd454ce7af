/**
 * The load generator, a process of its own (forked by LoadGenerator), so its work does not run on
 * the servers' event loops. For each LoadJob it sends GET requests on keep-alive connections at a
 * fixed rate (open model, see schedule.ts) and measures each from its intended send time.
 */
import { Agent, request } from 'node:http';
import { percentile } from '../stats';
import type { GeneratorMessage, LoadJob, LoadResult } from './load-job';
import { dueCount, firstIndexAtOrAfter, intendedSendMs, requestCount } from './schedule';

function send(message: GeneratorMessage): void {
  process.send?.(message);
}

async function runJob(job: LoadJob): Promise<LoadResult> {
  const { hostname, port } = new URL(job.origin);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost' && hostname !== '[::1]')
    throw new Error(`the load generator only targets loopback, not ${hostname}`);
  if (job.paths.length === 0) throw new Error('a load job needs at least one path');
  const agent = new Agent({
    keepAlive: true,
    maxSockets: job.maxConnections,
    maxFreeSockets: job.maxConnections,
  });
  const sockets = new WeakSet<object>();
  let connections = 0;
  const total = requestCount(job.ratePerSecond, job.warmupMs + job.durationMs);
  const firstMeasured = firstIndexAtOrAfter(job.warmupMs, job.ratePerSecond);
  const latenciesMs: number[] = [];
  const fromSendMs: number[] = [];
  const sendLagsMs: number[] = [];
  const errors: Record<string, number> = {};
  let bodyBytes = 0;
  let lastAnswerAt = 0;
  let outstanding = 0;
  let next = 0;

  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  const windowStart = t0 + job.warmupMs;
  let windowAnnounced = false;

  await new Promise<void>((resolve) => {
    const settle = (): void => {
      if (next >= total && outstanding === 0) resolve();
    };
    const fire = (index: number): void => {
      const intended = t0 + intendedSendMs(index, job.ratePerSecond);
      const measured = index >= firstMeasured;
      const sentAt = performance.now();
      if (measured) sendLagsMs.push(sentAt - intended);
      outstanding += 1;
      let done = false;
      const finish = (outcome: { bytes: number } | { error: string }): void => {
        if (done) return;
        done = true;
        outstanding -= 1;
        const now = performance.now();
        if (measured) {
          lastAnswerAt = Math.max(lastAnswerAt, now);
          if ('bytes' in outcome) {
            latenciesMs.push(now - intended);
            fromSendMs.push(now - sentAt);
            bodyBytes += outcome.bytes;
          } else errors[outcome.error] = (errors[outcome.error] ?? 0) + 1;
        }
        settle();
      };
      const attempt = (retry: boolean): void => {
        const req = request({
          agent,
          hostname,
          port: Number(port),
          method: 'GET',
          path: job.paths[index % job.paths.length],
          headers: job.headers,
        });
        req.on('socket', (socket) => {
          // A keep-alive socket carries many requests: count it once.
          if (sockets.has(socket)) return;
          sockets.add(socket);
          connections += 1;
        });
        req.setTimeout(job.timeoutMs, () => req.destroy(new Error('timeout')));
        req.on('response', (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            finish(status >= 200 && status < 300 ? { bytes } : { error: `status ${status}` });
          });
          res.on('error', (err) => finish({ error: errorName(err) }));
        });
        req.on('error', (err) => {
          // The server closed an idle keep-alive connection as this request went out on it: send it
          // again once on a fresh one, as an HTTP client does (the latency still counts from `intended`).
          if (retry && req.reusedSocket && errorName(err) === 'ECONNRESET') attempt(false);
          else finish({ error: errorName(err) });
        });
        req.end();
      };
      attempt(true);
    };
    const tick = (): void => {
      const elapsed = performance.now() - t0;
      if (!windowAnnounced && elapsed >= job.warmupMs) {
        windowAnnounced = true;
        send({ type: 'window-start', id: job.id });
      }
      const due = dueCount(elapsed, job.ratePerSecond, total);
      while (next < due) fire(next++);
      if (next < total) {
        const wait = t0 + intendedSendMs(next, job.ratePerSecond) - performance.now();
        setTimeout(tick, Math.max(0, wait));
      } else settle();
    };
    tick();
  });

  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - t0;
  agent.destroy();
  const ok = latenciesMs.length;
  const windowMs = lastAnswerAt - windowStart;
  return {
    id: job.id,
    sent: total - firstMeasured,
    ok,
    latenciesMs,
    errors,
    achievedPerSecond: ok > 0 && windowMs > 0 ? ok / (windowMs / 1000) : 0,
    sendLagP50Ms: sendLagsMs.length > 0 ? percentile(sendLagsMs, 0.5) : 0,
    sendLagP99Ms: sendLagsMs.length > 0 ? percentile(sendLagsMs, 0.99) : 0,
    sendLagMaxMs: sendLagsMs.length > 0 ? Math.max(...sendLagsMs) : 0,
    fromSendP50Ms: ok > 0 ? percentile(fromSendMs, 0.5) : 0,
    fromSendP99Ms: ok > 0 ? percentile(fromSendMs, 0.99) : 0,
    meanBodyBytes: ok > 0 ? bodyBytes / ok : 0,
    generatorCpuShare: wallMs > 0 ? (cpu.user + cpu.system) / 1000 / wallMs : 0,
    connections,
  };
}

function errorName(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.message;
}

process.on('message', (message: LoadJob) => {
  runJob(message).then(
    (result) => send({ type: 'result', result }),
    (err: unknown) =>
      send({ type: 'failure', id: message.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
// The benchmark went away: nothing more to do.
process.on('disconnect', () => process.exit(0));
