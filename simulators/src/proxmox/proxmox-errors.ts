import type { SimResponse } from '../common/http-router';

/** The one Content-Type pveproxy sends with JSON (exact: `proxmox-api` refuses any other spelling). */
export const PVE_JSON = 'application/json;charset=UTF-8';

/**
 * A refusal the way pve-http-server renders it: the message's first line is the HTTP reason phrase,
 * the JSON body is `{data: null, message: "<text>\n"}` (libpve-http-server-perl >= 5.2.0), plus an
 * `errors` map for parameter verification (400).
 */
export class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
    this.name = 'PveError';
  }
}

/** A plain `die` in an API handler: HTTP 500 with its text ("not found", "already exists", "locked" alike). */
export function pveDie(message: string): PveError {
  return new PveError(500, message);
}

/** `raise_param_exc`: 400 `Parameter verification failed.` with the per-parameter reasons. */
export function paramError(errors: Record<string, string>): PveError {
  const withNewlines = Object.fromEntries(
    Object.entries(errors).map(([key, reason]) => [key, reason.endsWith('\n') ? reason : `${reason}\n`]),
  );
  return new PveError(400, 'Parameter verification failed.', withNewlines);
}

/** First line of a message, as Perl's HTTP::Response puts it into the status line. */
export function reasonPhrase(message: string): string {
  const first = message.split('\n')[0] ?? '';
  // Node refuses control characters in a reason phrase; Proxmox messages have none but be safe.
  return first.replace(/[^\t\x20-\x7e]/g, '?');
}

export function pveErrorResponse(error: PveError): SimResponse {
  const message = error.message.endsWith('\n') ? error.message : `${error.message}\n`;
  return {
    status: error.status,
    reason: reasonPhrase(error.message),
    contentType: PVE_JSON,
    body: { data: null, message, ...(error.errors ? { errors: error.errors } : {}) },
  };
}

/** Success: 200 with `{data}` (plus `total` on some list calls). */
export function pveOk(data: unknown, extra: { total?: number } = {}): SimResponse {
  return {
    status: 200,
    reason: 'OK',
    contentType: PVE_JSON,
    body: { data: data ?? null, ...(extra.total !== undefined ? { total: extra.total } : {}) },
  };
}

/** An auth refusal: 401 with the reason in the status line and no body at all (a `PVE::Exception`). */
export function pveUnauthorized(reason: string): SimResponse {
  return { status: 401, reason };
}
