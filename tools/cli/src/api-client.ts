import { ApiError, InterruptedError, NetworkError } from './errors';
import type { Io } from './io';

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  /** The body as the server sent it (what `--json` prints). */
  text: string;
  /** The body parsed when it is JSON, else the text. */
  body: T;
}

/** A page of a list, as every list endpoint answers. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export type Query = Record<string, string | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Sent as Idempotency-Key; makes the POST safe to repeat, so it is retried like a GET. */
  idempotencyKey?: string;
  /** How long this request may take (default: the client's, 30 s), for calls the server takes long on. */
  timeoutMs?: number;
  /** Sent as If-Match: the ETag of the version the change was made against (412 when no longer current). */
  ifMatch?: string;
}

export interface ApiClientOptions {
  baseUrl: string;
  token?: string;
  io: Pick<Io, 'fetch' | 'sleep' | 'interrupted'>;
  userAgent: string;
  /** Tells the user what is happening (a retry); one line, no newline. */
  notice: (message: string) => void;
  /** Hints to add to a 401 (not logged in, token expired). */
  authHints?: () => string[];
  requestTimeoutMs?: number;
}

/** Retried at most this often, for requests that are safe to repeat. */
const RETRIES = 2;
/** A Retry-After longer than this is not waited for; the 429 is reported. */
const MAX_RETRY_AFTER_S = 30;

/**
 * The public API over fetch: JSON in and out, bearer token, problem+json errors as ApiError,
 * unreachable servers as NetworkError. Requests that are safe to repeat (GET, DELETE, a POST with an
 * Idempotency-Key) are retried twice when the server is briefly unavailable (429 with Retry-After,
 * 502-504, a connection that failed), which is the one place this command retries.
 */
export class ApiClient {
  readonly baseUrl: string;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  get token(): string | undefined {
    return this.options.token;
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
    const search = params.toString();
    return `${this.baseUrl}${path}${search === '' ? '' : `?${search}`}`;
  }

  get<T>(path: string, query?: Query): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, query === undefined ? {} : { query });
  }

  post<T>(path: string, body?: unknown, idempotencyKey?: string): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, {
      ...(body === undefined ? {} : { body }),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
  }

  /**
   * A change to the version `ifMatch` names (its ETag from GET). Not retried: the first attempt may
   * have been applied, and a repeat would then be refused (412).
   */
  patch<T>(path: string, body: unknown, ifMatch: string, query?: Query): Promise<ApiResponse<T>> {
    return this.request<T>('PATCH', path, { body, ifMatch, ...(query === undefined ? {} : { query }) });
  }

  delete<T>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      'user-agent': this.options.userAgent,
    };
    if (this.options.token !== undefined) headers['authorization'] = `Bearer ${this.options.token}`;
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const repeatable = method === 'GET' || method === 'DELETE' || options.idempotencyKey !== undefined;

    for (let attempt = 0; ; attempt += 1) {
      let res: Response;
      try {
        res = await this.options.io.fetch(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          signal: AbortSignal.any([
            this.options.io.interrupted,
            AbortSignal.timeout(options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000),
          ]),
          redirect: 'follow',
        });
      } catch (err) {
        if (this.options.io.interrupted.aborted) throw new InterruptedError();
        const delay = repeatable && attempt < RETRIES && retryableNetworkError(err) ? 500 * 3 ** attempt : 0;
        if (delay === 0) throw new NetworkError(this.baseUrl, err);
        this.options.notice(`${method} ${path}: ${new NetworkError(this.baseUrl, err).message}; retrying`);
        await this.pause(delay);
        continue;
      }
      const text = await readText(res, this.options.io.interrupted);
      if (res.ok) return { status: res.status, headers: res.headers, text, body: parseBody<T>(res, text) };
      const delay = repeatable && attempt < RETRIES ? retryDelay(res, attempt) : undefined;
      if (delay !== undefined) {
        this.options.notice(
          `${method} ${path}: ${res.status}; retrying in ${Math.max(1, Math.round(delay / 1000))} s`,
        );
        await this.pause(delay);
        continue;
      }
      const hints = res.status === 401 ? (this.options.authHints?.() ?? []) : [];
      throw new ApiError(res.status, text, method, path, hints);
    }
  }

  /** Opens a server-sent-events stream; the caller reads the body. */
  async openEventStream(path: string, lastEventId: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
      'user-agent': this.options.userAgent,
    };
    if (this.options.token !== undefined) headers['authorization'] = `Bearer ${this.options.token}`;
    if (lastEventId !== '') headers['last-event-id'] = lastEventId;
    try {
      return await this.options.io.fetch(this.url(path), { headers, signal });
    } catch (err) {
      if (this.options.io.interrupted.aborted) throw new InterruptedError();
      throw new NetworkError(this.baseUrl, err);
    }
  }

  /** Every page of a list, following `nextCursor`. */
  async listAll<T>(path: string, query: Query): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<Page<T>>(path, { ...query, ...(cursor === undefined ? {} : { cursor }) });
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor !== undefined);
    return items;
  }

  private async pause(ms: number): Promise<void> {
    try {
      await this.options.io.sleep(ms, this.options.io.interrupted);
    } catch {
      throw new InterruptedError();
    }
  }
}

async function readText(res: Response, interrupted: AbortSignal): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    if (interrupted.aborted) throw new InterruptedError();
    throw new NetworkError(new URL(res.url || 'http://unknown').origin, err);
  }
}

function parseBody<T>(res: Response, text: string): T {
  if (text !== '' && /json/.test(res.headers.get('content-type') ?? '')) return JSON.parse(text) as T;
  return text as T;
}

/** The connection failed in a way a moment's wait may cure (a restarting server), not a bad address or a timeout. */
function retryableNetworkError(err: unknown): boolean {
  if (err instanceof Error && err.name === 'TimeoutError') return false;
  let current: unknown = err;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  const code = (current as { code?: unknown } | undefined)?.code;
  return code !== 'ENOTFOUND' && code !== 'ERR_INVALID_URL' && code !== 'ERR_INVALID_ARG_TYPE';
}

/** How long to wait before retrying this answer, or undefined when it is not worth retrying. */
export function retryDelay(res: { status: number; headers: Headers }, attempt: number): number | undefined {
  if (res.status === 429) {
    const after = Number(res.headers.get('retry-after') ?? '1');
    return Number.isFinite(after) && after >= 0 && after <= MAX_RETRY_AFTER_S
      ? Math.max(after, 0.1) * 1000
      : undefined;
  }
  if (res.status === 502 || res.status === 503 || res.status === 504) return 500 * 3 ** attempt;
  return undefined;
}
