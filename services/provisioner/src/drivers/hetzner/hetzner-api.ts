import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryableStatus, ProviderError, type ProviderRefusal } from '../provider-error';
import type { DriverCallContext } from '../resource-provider.driver';

/**
 * A small client of the Hetzner Cloud API (`/v1`) on Node's own `fetch`: the Bearer token, the error
 * envelope mapped to ProviderError (retryable or not, the vendor's code and words, when to come back),
 * every page of a list, and waiting on actions. One call is one attempt: retries belong to the
 * Temporal activity, so nothing here loops on a refusal. Polling an action is not a retry.
 */

export const DEFAULT_ENDPOINT = 'https://api.hetzner.cloud/v1';

// ---- the parts of the API's documents the driver reads ----------------------------------------

export interface HetznerAction {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  error: { code: string; message: string } | null;
}

export interface HetznerServerType {
  id: number;
  name: string;
  cores: number;
  /** GB. */
  memory: number;
  /** GB. */
  disk: number;
  architecture: string;
  deprecation?: unknown;
  prices?: Array<{ location: string; price_monthly?: { net: string } }>;
  locations?: Array<{ name: string; available?: boolean; deprecation?: unknown }>;
}

export interface HetznerServer {
  id: number;
  name: string;
  status: string;
  locked: boolean;
  labels: Record<string, string>;
  public_net: { ipv4: { ip: string } | null };
  server_type: HetznerServerType;
  primary_disk_size: number;
  location?: { name: string };
  datacenter?: { location: { name: string } };
}

export interface HetznerSshKey {
  id: number;
  name: string;
  fingerprint: string;
}

export interface HetznerLocation {
  id: number;
  name: string;
}

interface Pagination {
  next_page: number | null;
}

// ---- errors -----------------------------------------------------------------------------------

/** Codes after which the same request can succeed later (hcloud-go retries the first four itself). */
const RETRYABLE_CODES = new Set([
  'conflict',
  'rate_limit_exceeded',
  'bad_gateway',
  'timeout',
  'locked',
  'server_error',
  'service_error',
  'unavailable',
  'maintenance',
  'robot_unavailable',
  'resource_unavailable',
  'placement_error',
]);

interface ErrorEnvelope {
  error?: {
    code?: unknown;
    message?: unknown;
    details?: { fields?: Array<{ name?: unknown; messages?: unknown }> } | null;
  };
}

/**
 * What a refusal says, from its status, headers and body: the vendor's code and message (with the
 * fields `invalid_input` names), retryable per code (or status when the body is not the API's, e.g.
 * a proxy's 502 page), and for 429 when to try again.
 */
export function refusalFromResponse(
  status: number,
  headers: Headers,
  text: string,
  nowMs = Date.now(),
): ProviderRefusal {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const envelope = JSON.parse(text) as ErrorEnvelope;
    if (typeof envelope.error?.code === 'string') code = envelope.error.code;
    if (typeof envelope.error?.message === 'string') message = envelope.error.message;
    const fields = (envelope.error?.details?.fields ?? [])
      .map((f) => {
        const messages = Array.isArray(f.messages) ? f.messages.filter((m) => typeof m === 'string') : [];
        return typeof f.name === 'string' && messages.length > 0
          ? `${f.name}: ${messages.join(', ')}`
          : undefined;
      })
      .filter((f): f is string => f !== undefined);
    if (message !== undefined && fields.length > 0) message = `${message} (${fields.join('; ')})`;
  } catch {
    // Not the API's envelope (a proxy's page): the status is all there is.
  }
  const retryable =
    code !== undefined ? RETRYABLE_CODES.has(code) : isRetryableStatus(status) && status !== 409;
  const retryAfterSeconds = retryAfter(status, headers, nowMs);
  return {
    status,
    ...(code !== undefined ? { code } : {}),
    message: message ?? `HTTP ${status}${text.trim() === '' ? '' : `: ${text.trim().slice(0, 200)}`}`,
    retryable,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

/**
 * Seconds until a request is worth sending again: `Retry-After` if sent; for 429 the time until the
 * bucket has one request again. `RateLimit-Reset` is when the bucket is full; it refills evenly over
 * the hour (`RateLimit-Limit` per hour), so one request is back after 3600 / limit seconds, or at the
 * reset if that is sooner.
 */
function retryAfter(status: number, headers: Headers, nowMs: number): number | undefined {
  const header = headers.get('retry-after');
  if (header !== null && /^\d+$/.test(header.trim())) return Number(header.trim());
  if (status !== 429) return undefined;
  const reset = Number(headers.get('ratelimit-reset'));
  const limit = Number(headers.get('ratelimit-limit'));
  const untilReset = Number.isFinite(reset) && reset > 0 ? Math.ceil(reset - nowMs / 1000) : undefined;
  const perRequest = Number.isFinite(limit) && limit > 0 ? Math.ceil(3600 / limit) : undefined;
  const candidates = [untilReset, perRequest].filter((n): n is number => n !== undefined);
  if (candidates.length === 0) return undefined;
  return Math.max(1, Math.min(...candidates));
}

function networkRefusal(err: unknown): ProviderRefusal {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  const text = cause instanceof Error ? cause.message : String(cause);
  const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
  return {
    message: timedOut
      ? 'the Hetzner Cloud API did not answer in time'
      : `could not reach the Hetzner Cloud API: ${text}${code !== undefined && !text.includes(code) ? ` (${code})` : ''}`,
    retryable: true,
  };
}

// ---- the client -------------------------------------------------------------------------------

export interface RequestOptions {
  query?: Record<string, string | number | Array<string | number>>;
  body?: unknown;
  /** What the driver was doing, for the error's text ("create server fo-1234"). */
  action: string;
}

export class HetznerApi {
  private readonly base: string;

  constructor(
    endpoint: string,
    private readonly token: string,
    private readonly pollIntervalMs: number,
    private readonly requestTimeoutMs: number,
  ) {
    this.base = endpoint.replace(/\/+$/, '');
  }

  /** One request; a refusal throws ProviderError; 404 answers undefined when `allowNotFound`. */
  async request<T>(
    method: string,
    path: string,
    ctx: DriverCallContext,
    options: RequestOptions & { allowNotFound: true },
  ): Promise<T | undefined>;
  async request<T>(method: string, path: string, ctx: DriverCallContext, options: RequestOptions): Promise<T>;
  async request<T>(
    method: string,
    path: string,
    ctx: DriverCallContext,
    options: RequestOptions & { allowNotFound?: boolean },
  ): Promise<T | undefined> {
    const url = new URL(`${this.base}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
    }
    ctx.signal.throwIfAborted();
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(this.requestTimeoutMs)]),
      });
      text = await response.text();
    } catch (err) {
      // A cancelled call stops as a cancellation, not as the vendor's refusal.
      if (ctx.signal.aborted) throw err;
      throw new ProviderError('hetzner', networkRefusal(err), { cause: err, action: options.action });
    }
    if (response.ok) {
      if (text === '') return undefined;
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        // A 2xx that is not JSON came from something in between (a proxy), not from the API.
        throw new ProviderError(
          'hetzner',
          { status: response.status, message: `unreadable answer: ${text.slice(0, 200)}`, retryable: true },
          { cause: err, action: options.action },
        );
      }
    }
    if (response.status === 404 && options.allowNotFound) return undefined;
    throw new ProviderError('hetzner', refusalFromResponse(response.status, response.headers, text), {
      action: options.action,
    });
  }

  /** Every item of a paged list (`per_page` 50, following `meta.pagination.next_page`). */
  async all<T>(path: string, root: string, ctx: DriverCallContext, options: RequestOptions): Promise<T[]> {
    const items: T[] = [];
    for (let page: number | null = 1; page !== null;) {
      const body: (Record<string, unknown> & { meta?: { pagination?: Pagination } }) | undefined =
        await this.request('GET', path, ctx, {
          ...options,
          query: { ...(options.query ?? {}), page, per_page: 50 },
        });
      const pageItems = body?.[root];
      if (Array.isArray(pageItems)) items.push(...(pageItems as T[]));
      const next: number | null = body?.meta?.pagination?.next_page ?? null;
      page = next !== null && next > page ? next : null;
    }
    return items;
  }

  /**
   * Polls actions until none is running (chunks of 25 ids, as hcloud-go does), heartbeating each
   * round; returns their final states. An action the API no longer knows is a retryable refusal.
   */
  async waitForActions(
    actions: HetznerAction[],
    ctx: DriverCallContext,
    what: string,
  ): Promise<HetznerAction[]> {
    const latest = new Map(actions.map((a) => [a.id, a]));
    const running = (): number[] =>
      [...latest.values()].filter((a) => a.status === 'running').map((a) => a.id);
    while (running().length > 0) {
      await this.pause(ctx);
      const ids = running();
      for (let i = 0; i < ids.length; i += 25) {
        const chunk = ids.slice(i, i + 25);
        const found = await this.all<HetznerAction>('/actions', 'actions', ctx, {
          query: { id: chunk },
          action: `wait for ${what}`,
        });
        for (const action of found) latest.set(action.id, action);
        const missing = chunk.filter((id) => !found.some((a) => a.id === id));
        if (missing.length > 0) {
          throw new ProviderError(
            'hetzner',
            { message: `actions not found: ${missing.join(', ')}`, retryable: true },
            { action: `wait for ${what}` },
          );
        }
      }
      ctx.heartbeat({
        waitingFor: what,
        actions: [...latest.values()].map((a) => `${a.command} ${a.progress}%`),
      });
    }
    return [...latest.values()];
  }

  /** Waits one poll interval; stops at once when the call is cancelled. */
  pause(ctx: DriverCallContext): Promise<void> {
    return sleep(this.pollIntervalMs, undefined, { signal: ctx.signal });
  }
}
