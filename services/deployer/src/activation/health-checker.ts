import http from 'node:http';
import https from 'node:https';

const MIN_ROUND_MS = 200;

export interface HealthTarget {
  app: string;
  /** The app's endpoint (`web`, `element`); an app has one target per http endpoint. */
  endpoint?: string;
  /** e.g. `http://10.213.0.2:3000/health`: the machine's address, the app's port and health path. */
  url: string;
  /**
   * Sent as the Host header and, over https, as the TLS server name (the app's fqdn): the machine's
   * nginx picks the app by it, and the fqdn need not resolve from here. The certificate is not
   * verified: a new machine serves a placeholder until ACME has issued one (checked by DNS/TLS).
   */
  host?: string;
  /** Extra check on a 200 response; returns a problem, or undefined when the body is acceptable. */
  checkBody?: (body: string) => string | undefined;
}

export interface HealthResult {
  app: string;
  endpoint?: string;
  url: string;
  healthy: boolean;
  /** HTTP status of the last attempt, if any answer came. */
  status?: number;
  /** Why the last attempt was not healthy. */
  problem?: string;
  /** Body of the last answer (first 2 KiB). */
  body?: string;
}

export interface WaitForHealthyOptions {
  timeoutMs: number;
  /** Pause between rounds; default 250 ms. */
  intervalMs?: number;
  /** Per-request timeout; default 5 s (never past the deadline). */
  requestTimeoutMs?: number;
}

/**
 * Polls every app's health URL with real HTTP GETs until each has answered healthy once, or the
 * deadline passes; resolves with one result per app (never rejects for unhealthy apps).
 * Uses node:http rather than global fetch because fetch drops a caller's Host header.
 */
export async function waitForHealthy(
  targets: readonly HealthTarget[],
  options: WaitForHealthyOptions,
): Promise<HealthResult[]> {
  const deadline = Date.now() + options.timeoutMs;
  const key = (t: HealthTarget): string => `${t.app}/${t.endpoint ?? ''}`;
  const results = new Map<string, HealthResult>(
    targets.map((t) => [key(t), { ...identity(t), healthy: false, problem: 'not checked yet' }]),
  );
  for (let round = 0; ; round++) {
    const left = deadline - Date.now();
    // A last round with almost no time left would only replace real answers with timeouts.
    if (round > 0 && left < MIN_ROUND_MS) break;
    const timeout = Math.max(MIN_ROUND_MS, Math.min(options.requestTimeoutMs ?? 5000, left));
    const pending = targets.filter((t) => results.get(key(t))?.healthy !== true);
    await Promise.all(
      pending.map(async (t) => {
        results.set(key(t), await checkOnce(t, timeout));
      }),
    );
    if (targets.every((t) => results.get(key(t))?.healthy === true)) break;
    const pause = Math.min(options.intervalMs ?? 250, deadline - Date.now() - MIN_ROUND_MS);
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  return targets.map((t) => results.get(key(t)) as HealthResult);
}

/** One GET of one target. */
export async function checkOnce(target: HealthTarget, timeoutMs: number): Promise<HealthResult> {
  const base = identity(target);
  try {
    const { status, body } = await get(target.url, target.host, timeoutMs);
    if (status !== 200) return { ...base, healthy: false, status, body, problem: `HTTP ${status}` };
    const problem = target.checkBody?.(body);
    return problem === undefined
      ? { ...base, healthy: true, status, body }
      : { ...base, healthy: false, status, body, problem };
  } catch (err: unknown) {
    return { ...base, healthy: false, problem: err instanceof Error ? err.message : String(err) };
  }
}

function get(
  url: string,
  host: string | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const parsed = new URL(url);
    const lib = parsed.protocol === 'https:' ? https : http;
    const req = lib.request(
      parsed,
      {
        method: 'GET',
        headers: host === undefined ? {} : { Host: host },
        timeout: timeoutMs,
        agent: false,
        ...(parsed.protocol === 'https:'
          ? { rejectUnauthorized: false, ...(host === undefined ? {} : { servername: host }) }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          if (size < 2048) chunks.push(d);
          size += d.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8').slice(0, 2048),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function identity(t: HealthTarget): Pick<HealthResult, 'app' | 'endpoint' | 'url'> {
  return { app: t.app, ...(t.endpoint === undefined ? {} : { endpoint: t.endpoint }), url: t.url };
}
