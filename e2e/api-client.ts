import { recordApiResponse, recordMintedSecret } from '@fedops/testing';

/**
 * A small client for the public API, as an operator's script would use it. Every answer goes to the
 * recording of the test platform it talks to (api-recording.ts in libs/testing), and the secret of an
 * API token it sees minted, or an admin password it sees revealed, becomes one that platform's secret
 * scan looks for (everywhere but in the answer that showed it).
 */
export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  as(token: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  /**
   * Sends a request. `body` goes as JSON, `rawBody` as it is: a string as JSON unless a content-type
   * header says otherwise, bytes without any content-type unless one is given. Header names are lower
   * case. An event stream (text/event-stream) is not read: it is closed at once and `body` is ''.
   */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...(options.headers ?? {}) };
    if (this.token !== undefined) headers['authorization'] = `Bearer ${this.token}`;
    let body: string | Uint8Array | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (typeof body === 'string' && headers['content-type'] === undefined)
      headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const contentType = res.headers.get('content-type') ?? '';
    let text = '';
    if (contentType.startsWith('text/event-stream')) await res.body?.cancel();
    else text = await res.text();
    let parsed: unknown = text;
    if (text.length > 0 && /json/.test(contentType)) parsed = JSON.parse(text);
    const minted =
      mintedApiToken(method, path, res.status, parsed) ??
      revealedAdminPassword(method, path, res.status, parsed);
    if (minted !== undefined) recordMintedSecret(this.baseUrl, minted);
    recordApiResponse(this.baseUrl, {
      method,
      path,
      status: res.status,
      body: text,
      ...(minted !== undefined ? { shows: [minted.name] } : {}),
    });
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  get<T = Record<string, unknown>>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path);
  }
  post<T = Record<string, unknown>>(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, { body, ...(headers !== undefined ? { headers } : {}) });
  }
  delete<T = Record<string, unknown>>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path);
  }
}

/** The secret of the API token a POST /v1/tokens answer shows (once), as the secret scan knows it. */
function mintedApiToken(
  method: string,
  path: string,
  status: number,
  body: unknown,
): { name: string; needles: string[] } | undefined {
  if (method !== 'POST' || path.split('?')[0] !== '/v1/tokens' || status !== 201) return undefined;
  const token = typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined;
  const match = typeof token === 'string' ? /^fdo_([0-9a-f]+)_(\S+)$/.exec(token) : null;
  if (match === null) return undefined;
  return { name: `API token ${match[1] ?? ''}`, needles: [match[2] ?? ''] };
}

/** The password a POST .../apps/{app}/admin-credentials answer shows (once), as the secret scan knows it. */
function revealedAdminPassword(
  method: string,
  path: string,
  status: number,
  body: unknown,
): { name: string; needles: string[] } | undefined {
  const route = /^\/v1\/tenants\/([^/]+)\/apps\/([^/]+)\/admin-credentials$/.exec(path.split('?')[0] ?? '');
  if (method !== 'POST' || route === null || status !== 200) return undefined;
  const password =
    typeof body === 'object' && body !== null ? (body as { password?: unknown }).password : undefined;
  if (typeof password !== 'string') return undefined;
  return { name: `admin password of ${route[2] ?? ''} of tenant ${route[1] ?? ''}`, needles: [password] };
}

/**
 * Reads a server-sent-events stream until `until` returns true for an event, or the deadline passes.
 * Without a token no Authorization header is sent (a stream ticket in the URL, as a browser would).
 */
export async function readEvents(
  url: string,
  token: string | undefined,
  until: (event: { id: string; event: string; data: Record<string, unknown> }) => boolean,
  timeoutMs: number,
): Promise<Array<{ id: string; event: string; data: Record<string, unknown> }>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: Array<{ id: string; event: string; data: Record<string, unknown> }> = [];
  try {
    const res = await fetch(url, {
      headers: {
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        accept: 'text/event-stream',
      },
      signal: controller.signal,
    });
    if (res.status !== 200 || res.body === null) throw new Error(`events stream answered ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let sep: number;
      while ((sep = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, sep);
        buffer = buffer.slice(sep + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':') && l.includes(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
        );
        if (fields['data'] === undefined) continue;
        const event = {
          id: fields['id'] ?? '',
          event: fields['event'] ?? '',
          data: JSON.parse(fields['data']) as Record<string, unknown>,
        };
        events.push(event);
        if (until(event)) return events;
      }
    }
    return events;
  } catch (err) {
    if (controller.signal.aborted) {
      throw new Error(
        `events stream: condition not met within ${timeoutMs} ms; saw ${events.map((e) => e.event).join(', ')}`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
