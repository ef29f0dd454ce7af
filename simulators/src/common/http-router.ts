import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A parsed request: path parameters, query and body (JSON or form-encoded, as vendors' clients send). */
export interface SimRequest {
  method: string;
  /** Path without the query string, percent-decoding left to the route's parameters. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** JSON body, or the form fields of a form-encoded body (repeated keys become arrays); {} when empty. */
  body: Record<string, unknown>;
  rawBody: string;
}

/** What a handler answers: status, optional reason phrase (Proxmox puts its message there), headers, body. */
export interface SimResponse {
  status: number;
  reason?: string;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is a string; undefined sends no body. */
  body?: unknown;
  /** Content-Type of a JSON body (default `application/json`). */
  contentType?: string;
}

export type SimHandler = (req: SimRequest) => Promise<SimResponse> | SimResponse;

/**
 * A hook around every request: it may answer instead of the handler (an injected fault), or decide
 * what happens to the handler's answer (`lose`: the work is done, the connection is dropped unanswered).
 */
export type SimMiddleware = (
  req: SimRequest,
) => Promise<SimResponse | 'lose' | undefined> | SimResponse | 'lose' | undefined;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: SimHandler;
}

/** A body that is not what the vendor accepts: the simulator answers it with the vendor's own error. */
export class BadBodyError extends Error {}

/** A small router on node:http: simulators need exact control of status lines, headers and bodies. */
export class SimRouter {
  private readonly routes: Route[] = [];
  private readonly middlewares: SimMiddleware[] = [];

  constructor(
    /** Answer for a path or method no route matches (vendors differ: 404, 501 ...). */
    private readonly notFound: (req: SimRequest) => SimResponse,
    /** Answer for an exception in a handler (vendors' 500 envelope). */
    private readonly internalError: (req: SimRequest, err: unknown) => SimResponse,
  ) {}

  /** `pattern` is a path with `:name` segments, e.g. `/v1/servers/:id/actions/:action`. */
  add(method: string, pattern: string, handler: SimHandler): this {
    const names: string[] = [];
    const source = pattern
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(segment.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({ method, pattern: new RegExp(`^${source}/?$`), names, handler });
    return this;
  }

  use(middleware: SimMiddleware): this {
    this.middlewares.push(middleware);
    return this;
  }

  /** Starts listening on 127.0.0.1 (port 0: a free one); resolves with the server and its base URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
    const server = createServer((req, res) => void this.dispatch(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    return { server, url: `http://${host}:${address.port}` };
  }

  private async dispatch(incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? '/', 'http://simulator');
    const rawBody = await readBody(incoming);
    const req: SimRequest = {
      method: (incoming.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      params: {},
      query: url.searchParams,
      headers: incoming.headers,
      body: {},
      rawBody,
    };
    let answer: SimResponse;
    let lose = false;
    try {
      req.body = parseBody(rawBody, incoming.headers['content-type']);
      let early: SimResponse | undefined;
      for (const middleware of this.middlewares) {
        const outcome = await middleware(req);
        if (outcome === 'lose') lose = true;
        else if (outcome !== undefined) {
          early = outcome;
          break;
        }
      }
      answer = early ?? (await this.route(req));
    } catch (err) {
      answer = this.internalError(req, err);
    }
    if (lose) {
      // The work was done; the client never hears of it (a response lost on the way back).
      res.socket?.destroy();
      return;
    }
    send(res, answer);
  }

  private async route(req: SimRequest): Promise<SimResponse> {
    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const match = route.pattern.exec(req.path);
      if (!match) continue;
      route.names.forEach((name, i) => {
        req.params[name] = decodeURIComponent(match[i + 1] ?? '');
      });
      return route.handler(req);
    }
    return this.notFound(req);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw.trim() === '') return {};
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(raw)) {
      const previous = out[key];
      if (previous === undefined) out[key] = value;
      else out[key] = Array.isArray(previous) ? [...(previous as unknown[]), value] : [previous, value];
    }
    return out;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new BadBodyError('request body is not valid JSON', { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadBodyError('request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function send(res: ServerResponse, answer: SimResponse): void {
  const headers: Record<string, string> = { ...(answer.headers ?? {}) };
  let payload: string | undefined;
  if (answer.body !== undefined) {
    if (typeof answer.body === 'string') payload = answer.body;
    else {
      payload = JSON.stringify(answer.body);
      headers['content-type'] ??= answer.contentType ?? 'application/json';
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  res.writeHead(answer.status, answer.reason ?? undefined, headers);
  res.end(payload);
}
