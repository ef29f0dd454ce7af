/**
 * Proxmox refusals as ProviderErrors. The `proxmox-api` client throws plain `Error`s whose text holds
 * what the server said (`<METHOD> <url> return Error <status> <reason phrase>: <JSON body>`, or
 * `... connection failed with <status> <reason> return: <JSON body>` for other statuses, or
 * `FaILED to call <METHOD> <url> cause by:<cause>` when the request never got an answer), so the
 * status, the reason phrase (Proxmox puts its message there) and the body's `message`/`errors` are
 * read back from that text.
 *
 * Proxmox answers 500 for every plain `die`, transient or not: locks, "already exists" races,
 * timeouts and unknown texts are retryable; refusals that cannot change on their own (missing VM or
 * storage, unsupported operation, invalid input) are not.
 */
import { isRetryableStatus, ProviderError } from '../provider-error';

export interface ProxmoxHttpFailure {
  method: string;
  url: string;
  status: number;
  /** The HTTP reason phrase: the first line of Proxmox's message. */
  reason: string;
  /** The body's `message` (all lines), when it sent one. */
  message?: string;
  /** Parameter verification problems, per parameter. */
  errors?: Record<string, string>;
}

const HTTP_ERROR = /^(GET|POST|PUT|DELETE) (\S+) (return Error|connection failed with) (\d{3}) ([\s\S]*)$/;
const NETWORK_ERROR = /^FaILED to call (GET|POST|PUT|DELETE) (\S+)(?: cause by:([\s\S]*))?$/;
const CONTENT_TYPE_ERROR = /^(GET|POST|PUT|DELETE) (\S+) unexpected contentType "[^"]*" status Line:(\d{3})/;

/** Refusals that no retry will change. */
const PERMANENT = [
  /does not exist/i,
  /not allowed/i,
  /not supported/i,
  /non-shared storage/i,
  /uses local storage/i,
  /you can't/i,
  /no such (cluster node|task|uri|file)/i,
  /not implemented/i,
  /hostname lookup .* failed/i,
  /is not available on node/i,
  /does not support vm images/i,
  /protection mode enabled/i,
  /SSH public key validation error/i,
  /No QEMU guest agent configured/i,
  /no options specified/i,
  /Permission check failed/i,
  /not available with API token/i,
  /not enough free space/i,
];

export function isPermanentText(text: string): boolean {
  return PERMANENT.some((pattern) => pattern.test(text));
}

/**
 * Task exit statuses that no retry changes: the structural checks a worker repeats (a template
 * started, a disk shrunk, local storage across nodes). Any other failed task (a clone that failed
 * copying, a lock, a timeout) is retryable.
 */
const PERMANENT_TASK = [
  /you can't/i,
  /not supported/i,
  /non-shared storage/i,
  /uses local storage/i,
  /protection mode enabled/i,
];

export function isPermanentTaskStatus(exitstatus: string): boolean {
  return PERMANENT_TASK.some((pattern) => pattern.test(exitstatus));
}

function bodyOf(text: unknown): { message?: string; errors?: Record<string, string> } {
  if (typeof text !== 'object' || text === null) return {};
  const body = text as Record<string, unknown>;
  const out: { message?: string; errors?: Record<string, string> } = {};
  if (typeof body['message'] === 'string' && body['message'].trim() !== '')
    out.message = body['message'].trim();
  const errors = body['errors'];
  if (typeof errors === 'object' && errors !== null && !Array.isArray(errors)) {
    const entries = Object.entries(errors as Record<string, unknown>).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    );
    if (entries.length > 0) out.errors = Object.fromEntries(entries.map(([k, v]) => [k, v.trim()]));
  }
  return out;
}

/** The server's answer inside a `proxmox-api` error, or undefined when the error is not one. */
export function parseHttpFailure(text: string): ProxmoxHttpFailure | undefined {
  const match = HTTP_ERROR.exec(text);
  if (!match) return undefined;
  const [, method = '', url = '', form = '', status = '0', rest = ''] = match;
  const separator = form === 'return Error' ? ': ' : ' return: ';
  // The reason may itself contain the separator: the body is the first JSON value that parses.
  for (let at = rest.indexOf(`${separator}{`); at >= 0; at = rest.indexOf(`${separator}{`, at + 1)) {
    try {
      const parsed: unknown = JSON.parse(rest.slice(at + separator.length));
      return { method, url, status: Number(status), reason: rest.slice(0, at), ...bodyOf(parsed) };
    } catch {
      // not the body yet
    }
  }
  return { method, url, status: Number(status), reason: rest };
}

/** The vendor's words for a failure: the body's message (or the reason phrase), with parameter problems. */
export function failureText(failure: ProxmoxHttpFailure): string {
  const main = failure.message ?? failure.reason;
  if (!failure.errors) return main;
  const problems = Object.entries(failure.errors)
    .map(([param, reason]) => `${param}: ${reason}`)
    .join('; ');
  return `${main} (${problems})`;
}

export function isRetryableFailure(failure: ProxmoxHttpFailure): boolean {
  const text = failureText(failure);
  switch (failure.status) {
    case 400:
      // `nextid?vmid=N` for a taken id: another caller got there first.
      return /already exists/.test(text);
    case 401:
    case 403:
    case 501:
      return false;
    case 500:
      return !isPermanentText(text);
    default:
      return isRetryableStatus(failure.status);
  }
}

/** Error-like values, also from another realm (Node's own errors under jest fail `instanceof Error`). */
function errorLike(value: unknown): { message: string; code?: unknown; cause?: unknown } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const message = (value as { message?: unknown }).message;
  return typeof message === 'string'
    ? (value as { message: string; code?: unknown; cause?: unknown })
    : undefined;
}

function causeText(err: unknown): string {
  const parts: string[] = [];
  let current = errorLike(err);
  for (let depth = 0; current && depth < 4; depth++) {
    parts.push(typeof current.code === 'string' ? `${current.message} (${current.code})` : current.message);
    current = errorLike(current.cause);
  }
  return parts.join(': ');
}

/**
 * Any error of a `proxmox-api` call as a ProviderError (one already made is passed through).
 * `endpoint` names where the driver was pointed, for network errors.
 */
export function toProviderError(err: unknown, action: string, endpoint: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const text = errorLike(err)?.message ?? String(err);
  const failure = parseHttpFailure(text);
  if (failure) {
    return new ProviderError(
      'proxmox',
      { status: failure.status, message: failureText(failure), retryable: isRetryableFailure(failure) },
      { cause: err, action },
    );
  }
  const odd = CONTENT_TYPE_ERROR.exec(text);
  if (odd) {
    const status = Number(odd[3]);
    return new ProviderError(
      'proxmox',
      {
        status,
        message: `unexpected answer (HTTP ${status}, not JSON)`,
        retryable: isRetryableStatus(status),
      },
      { cause: err, action },
    );
  }
  if (NETWORK_ERROR.test(text) || /fetch failed|ECONN|socket|timeout|aborted/i.test(text)) {
    const cause = errorLike(err)?.cause !== undefined ? causeText(errorLike(err)?.cause) : text;
    return new ProviderError(
      'proxmox',
      { message: `cannot reach ${endpoint}: ${cause}`, retryable: true },
      { cause: err, action },
    );
  }
  return new ProviderError('proxmox', { message: text, retryable: false }, { cause: err, action });
}

/** A task that stopped with an error exit status: the exit status (the vendor's text) is the code. */
export function taskFailure(exitstatus: string, upid: string, action: string): ProviderError {
  return new ProviderError(
    'proxmox',
    { code: exitstatus, message: `task ${upid} failed`, retryable: !isPermanentTaskStatus(exitstatus) },
    { action },
  );
}
