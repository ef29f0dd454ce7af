import { isRetryableStatus, ProviderError, type ProviderRefusal } from '../provider-error';

export const DEFAULT_DIGITALOCEAN_ENDPOINT = 'https://api.digitalocean.com/v2';
/** The API's own maximum page size: fewest calls for "all pages". */
const PER_PAGE = 200;

/** A refusal the API may lift by itself: locked droplets answer 422 with this text. */
const PENDING_EVENT = /pending event/i;

/**
 * What DigitalOcean said, as a ProviderRefusal: its `{id, message}` envelope (or, for the HTML pages
 * a load balancer sends on 5xx, the page's text), whether to try again (5xx, 429 and the 422 of a
 * droplet busy with another event), and how long to wait: `retry-after` (the burst limit), else on a
 * 429 `ratelimit-reset` (Unix time the oldest counted request expires).
 */
export function refusalFromResponse(
  status: number,
  headers: Pick<Headers, 'get'>,
  text: string,
  nowMs: number = Date.now(),
): ProviderRefusal {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null) {
      const { id, message: said } = body as { id?: unknown; message?: unknown };
      if (typeof id === 'string' && id !== '') code = id;
      if (typeof said === 'string' && said !== '') message = said;
    }
  } catch {
    // Not JSON: an HTML error page from the load balancer.
  }
  if (message === undefined) {
    const plain = text
      .replace(/<title>[\s\S]*?<\/title>/i, '')
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 200);
    message = plain === '' ? `HTTP ${status}` : plain;
  }
  const retryable = isRetryableStatus(status) || (status === 422 && PENDING_EVENT.test(message));
  const retryAfterSeconds = retryAfterFrom(status, headers, nowMs);
  return {
    status,
    ...(code !== undefined ? { code } : {}),
    message,
    retryable,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

function retryAfterFrom(status: number, headers: Pick<Headers, 'get'>, nowMs: number): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim());
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - nowMs) / 1000));
  }
  if (status !== 429) return undefined;
  const reset = Number(headers.get('ratelimit-reset'));
  if (!Number.isFinite(reset) || reset <= 0) return undefined;
  return Math.max(1, Math.ceil(reset - nowMs / 1000));
}

/** The page number a `links.pages.next` URL points at, or undefined on the last page. */
export function nextPageOf(body: unknown): number | undefined {
  const next = (body as { links?: { pages?: { next?: unknown } } } | undefined)?.links?.pages?.next;
  if (typeof next !== 'string') return undefined;
  try {
    const page = Number(new URL(next).searchParams.get('page'));
    return Number.isInteger(page) && page > 1 ? page : undefined;
  } catch {
    return undefined;
  }
}

export interface DigitalOceanClientConfig {
  endpoint: string;
  token: string;
  /** One HTTP exchange's limit (default 30 s); a timeout is a retryable refusal. */
  requestTimeoutMs: number;
}

export interface CallOptions {
  body?: unknown;
  signal: AbortSignal;
  /** What the call is for, in the error: "create droplet fo-1234". */
  action: string;
  /** Answer 404 with undefined instead of throwing. */
  allowNotFound?: boolean;
}

/**
 * DigitalOcean API v2 over plain fetch: bearer token, JSON, one attempt per call (retries belong to
 * Temporal), every refusal and network failure turned into a ProviderError.
 */
export class DigitalOceanClient {
  private readonly base: URL;

  constructor(private readonly config: DigitalOceanClientConfig) {
    this.base = new URL(config.endpoint.replace(/\/+$/, ''));
  }

  /**
   * `pathOrUrl` is relative to the endpoint (`/droplets`), or an absolute URL the API gave (an
   * action's href): followed only when it points at the endpoint itself, so the token never leaves it.
   */
  url(pathOrUrl: string): string {
    if (/^https?:\/\//.test(pathOrUrl)) {
      const given = new URL(pathOrUrl);
      if (given.origin === this.base.origin && given.pathname.startsWith(this.base.pathname))
        return given.toString();
      throw new ProviderError(
        'digitalocean',
        { message: `The API pointed at ${given.origin}, which is not its endpoint`, retryable: false },
        { action: 'follow a link of the API' },
      );
    }
    return `${this.base.toString().replace(/\/+$/, '')}${pathOrUrl}`;
  }

  async call<T>(
    method: string,
    pathOrUrl: string,
    options: CallOptions & { allowNotFound: true },
  ): Promise<T | undefined>;
  async call<T>(method: string, pathOrUrl: string, options: CallOptions): Promise<T>;
  async call<T>(method: string, pathOrUrl: string, options: CallOptions): Promise<T | undefined> {
    return (await this.exchange<T>(method, pathOrUrl, options)).body;
  }

  /** One request: the status and parsed body of a 2xx (or of a 404 when allowed); refusals throw. */
  async exchange<T>(
    method: string,
    pathOrUrl: string,
    options: CallOptions,
  ): Promise<{ status: number; body?: T }> {
    options.signal.throwIfAborted();
    const timeout = AbortSignal.timeout(this.config.requestTimeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url(pathOrUrl), {
        method,
        headers: {
          authorization: `Bearer ${this.config.token}`,
          accept: 'application/json',
          'user-agent': 'fedops-provisioner',
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.any([options.signal, timeout]),
      });
      text = await response.text();
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      options.signal.throwIfAborted();
      const timedOut = timeout.aborted;
      const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
      const code = timedOut ? 'timeout' : typeof cause?.code === 'string' ? cause.code : 'network_error';
      const detail = timedOut
        ? `no answer within ${this.config.requestTimeoutMs} ms`
        : typeof cause?.message === 'string'
          ? cause.message
          : err instanceof Error
            ? err.message
            : String(err);
      throw new ProviderError(
        'digitalocean',
        { code, message: `Could not reach ${this.base.origin}: ${detail}`, retryable: true },
        { cause: err, action: options.action },
      );
    }
    if (response.status === 404 && options.allowNotFound) return { status: 404 };
    if (!response.ok) {
      throw new ProviderError('digitalocean', refusalFromResponse(response.status, response.headers, text), {
        action: options.action,
      });
    }
    if (text === '') return { status: response.status };
    try {
      return { status: response.status, body: JSON.parse(text) as T };
    } catch (err) {
      throw new ProviderError(
        'digitalocean',
        {
          status: response.status,
          code: 'bad_response',
          message: 'The API answered with a body that is not JSON',
          retryable: true,
        },
        { cause: err, action: options.action },
      );
    }
  }

  /** Every item of a collection (`root`), following `links.pages.next` page by page. */
  async listAll<T>(
    path: string,
    root: string,
    options: Omit<CallOptions, 'body' | 'allowNotFound'>,
  ): Promise<T[]> {
    const items: T[] = [];
    const separator = path.includes('?') ? '&' : '?';
    for (let page: number | undefined = 1; page !== undefined;) {
      const body = await this.call<Record<string, unknown>>(
        'GET',
        `${path}${separator}page=${page}&per_page=${PER_PAGE}`,
        options,
      );
      const got = body[root];
      if (Array.isArray(got)) items.push(...(got as T[]));
      const next = nextPageOf(body);
      page = next !== undefined && next > page ? next : undefined;
    }
    return items;
  }
}
