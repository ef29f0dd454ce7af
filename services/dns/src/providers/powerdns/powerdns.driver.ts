import { setTimeout as delay } from 'node:timers/promises';
import {
  absoluteName,
  DnsProviderError,
  type DnsProviderDriver,
  type RRset,
  type RRsetChange,
} from '../dns-provider';
import { apexChanges, apexRRsets, type ZoneApex } from '../zone-apex';

export interface PowerDnsDriverOptions {
  /** Base URL of the PowerDNS webserver, e.g. `http://127.0.0.1:8081` (a trailing `/api/v1` is accepted). */
  apiUrl: string;
  apiKey: string;
  /** Server id in the API path; the authoritative server is always `localhost`. */
  serverId?: string;
  /** SOA and NS written into new zones, and restored by `ensureZoneApex` (see `zoneApex`). */
  apex: ZoneApex;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  /** Retries on 5xx, network errors and timeouts (never on 4xx). Default 3 attempts, 200 ms .. 2 s backoff. */
  retry?: { attempts: number; baseDelayMs: number; maxDelayMs: number };
}

const PROVIDER = 'powerdns';
const DEFAULT_RETRY = { attempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };
const MAX_ERROR_TEXT = 500;
/**
 * Serial policy for API edits: every change sets the serial to today's YYYYMMDD01, or to the old
 * serial + 1 when that is higher. (INCEPTION-INCREMENT, meant for signed zones, left serial 1
 * unchanged on 4.7.)
 */
const SOA_EDIT_API = 'DEFAULT';

interface HttpResult {
  status: number;
  body: unknown;
}

/**
 * Driver for the PowerDNS Authoritative HTTP API (tested against 4.7). Zones are created as
 * `Native` (replicated by the database, no AXFR) with the configured SOA and NS, and PowerDNS
 * raises the SOA serial on every API change (`soa_edit_api`). Record writes use PATCH with
 * REPLACE/DELETE, which are idempotent, so requests are retried on 5xx and network failures.
 */
export class PowerDnsDriver implements DnsProviderDriver {
  readonly kind = PROVIDER;
  private readonly baseUrl: string;
  private readonly serverId: string;
  private readonly apex: ZoneApex;
  private readonly timeoutMs: number;
  private readonly retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };

  constructor(private readonly options: PowerDnsDriverOptions) {
    const url = new URL(options.apiUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`PowerDNS API URL must be http(s), got ${url.protocol}`);
    }
    if (options.apiKey.length === 0) throw new Error('PowerDNS API key must not be empty');
    this.baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1`;
    this.serverId = options.serverId ?? 'localhost';
    if (options.apex.nameservers.length === 0) throw new Error('apex.nameservers must not be empty');
    this.apex = options.apex;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retry = options.retry ?? DEFAULT_RETRY;
    if (this.retry.attempts < 1) throw new Error('retry.attempts must be at least 1');
  }

  async ensureZone(zone: string): Promise<{ created: boolean }> {
    const name = absoluteName(zone);
    const operation = `create zone ${name}`;
    // SOA and NS go in `rrsets` (not `nameservers`, which cannot be mixed with an NS RRset), so
    // PowerDNS does not synthesise its placeholder SOA (`a.misconfigured.dns.server.invalid.`).
    const res = await this.request(operation, 'POST', this.zonesPath(), {
      name,
      kind: 'Native',
      soa_edit_api: SOA_EDIT_API,
      rrsets: apexRRsets(name, this.apex).map((r) => ({
        name: r.name,
        type: r.type,
        ttl: r.ttl,
        records: pdnsRecords(r.records),
      })),
    });
    // 409: the zone exists (also the outcome of a retried POST whose first attempt succeeded).
    if (res.status === 409) return { created: false };
    if (res.status !== 201) throw this.httpError(operation, res);
    const body = expectObject(res.body, operation);
    if (body['name'] !== name) {
      throw this.shapeError(operation, `zone name ${JSON.stringify(body['name'])}, expected ${name}`);
    }
    return { created: true };
  }

  async ensureZoneApex(zone: string): Promise<{ corrected: boolean }> {
    const changes = apexChanges(zone, await this.listRRsets(zone), this.apex);
    await this.replaceRRsets(zone, changes);
    return { corrected: changes.length > 0 };
  }

  async deleteZone(zone: string): Promise<{ deleted: boolean }> {
    const name = absoluteName(zone);
    const operation = `delete zone ${name}`;
    const res = await this.request(operation, 'DELETE', this.zonePath(name));
    if (res.status === 404) return { deleted: false };
    if (res.status !== 204) throw this.httpError(operation, res);
    return { deleted: true };
  }

  async replaceRRsets(zone: string, changes: RRsetChange[]): Promise<void> {
    if (changes.length === 0) return;
    const name = absoluteName(zone);
    const operation = `patch zone ${name}`;
    const rrsets = changes.map((c) =>
      c.action === 'replace'
        ? {
            name: absoluteName(c.name),
            type: c.type,
            changetype: 'REPLACE',
            ttl: c.ttl,
            records: pdnsRecords(c.records),
          }
        : { name: absoluteName(c.name), type: c.type, changetype: 'DELETE' },
    );
    const res = await this.request(operation, 'PATCH', this.zonePath(name), { rrsets });
    if (res.status !== 204) throw this.httpError(operation, res);
  }

  async listRRsets(zone: string): Promise<RRset[]> {
    const name = absoluteName(zone);
    const operation = `get zone ${name}`;
    const res = await this.request(operation, 'GET', this.zonePath(name));
    if (res.status !== 200) throw this.httpError(operation, res);
    return parseRRsets(res.body, (detail) => this.shapeError(operation, detail));
  }

  private zonesPath(): string {
    return `/servers/${encodeURIComponent(this.serverId)}/zones`;
  }

  private zonePath(zone: string): string {
    return `${this.zonesPath()}/${zoneId(zone)}`;
  }

  /** One API call with timeout and bounded retries; returns any HTTP response, throws on transport failure. */
  private async request(
    operation: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<HttpResult> {
    let lastError: DnsProviderError | undefined;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (attempt > 1) await delay(this.backoff(attempt - 1));
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: {
            'X-API-Key': this.options.apiKey,
            Accept: 'application/json',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        // Duck-typed: fetch's DOMException may come from another realm (e.g. under jest).
        const timedOut =
          typeof err === 'object' && err !== null && 'name' in err && err.name === 'TimeoutError';
        lastError = new DnsProviderError({
          provider: PROVIDER,
          operation,
          message: timedOut
            ? `no response within ${this.timeoutMs} ms (attempt ${attempt}/${this.retry.attempts})`
            : `request failed (attempt ${attempt}/${this.retry.attempts})`,
          retryable: true,
          cause: err,
        });
        continue;
      }
      let result: HttpResult;
      try {
        result = { status: res.status, body: await readBody(res) };
      } catch (err) {
        lastError = new DnsProviderError({
          provider: PROVIDER,
          operation,
          status: res.status,
          message: `reading the response failed (attempt ${attempt}/${this.retry.attempts})`,
          retryable: true,
          cause: err,
        });
        continue;
      }
      if (result.status >= 500) {
        lastError = this.httpError(operation, result);
        continue;
      }
      return result;
    }
    // attempts >= 1, so the loop ran and set lastError before falling through.
    throw lastError ?? new Error(`${operation}: no attempt made`);
  }

  private backoff(retryNumber: number): number {
    const exp = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (retryNumber - 1));
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  private httpError(operation: string, res: HttpResult): DnsProviderError {
    const providerMessage = errorText(res.body);
    return new DnsProviderError({
      provider: PROVIDER,
      operation,
      status: res.status,
      providerMessage,
      message: `HTTP ${res.status}${providerMessage === undefined ? '' : `: ${providerMessage}`}`,
      retryable: res.status >= 500,
    });
  }

  private shapeError(operation: string, detail: string): DnsProviderError {
    return new DnsProviderError({
      provider: PROVIDER,
      operation,
      message: `unexpected response shape: ${detail}`,
      retryable: false,
    });
  }
}

/** PowerDNS zone id: the absolute name with characters outside `[A-Za-z0-9.-]` escaped as `=XX`. */
export function zoneId(zone: string): string {
  return Array.from(Buffer.from(absoluteName(zone), 'utf8'))
    .map((byte) => {
      const ch = String.fromCharCode(byte);
      return /[A-Za-z0-9.-]/.test(ch) ? ch : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

function pdnsRecords(contents: string[]): Array<{ content: string; disabled: boolean }> {
  return contents.map((content) => ({ content, disabled: false }));
}

/** Validates the parts of a zone object the driver relies on and returns its enabled records. */
export function parseRRsets(body: unknown, fail: (detail: string) => Error): RRset[] {
  if (!isObject(body)) throw fail('zone is not an object');
  const rrsets = body['rrsets'];
  if (!Array.isArray(rrsets)) throw fail('zone.rrsets is not an array');
  return rrsets.map((raw: unknown, i): RRset => {
    if (!isObject(raw)) throw fail(`rrsets[${i}] is not an object`);
    const { name, type, ttl, records } = raw;
    if (typeof name !== 'string' || typeof type !== 'string') throw fail(`rrsets[${i}] lacks name/type`);
    if (typeof ttl !== 'number' || !Number.isInteger(ttl)) throw fail(`rrsets[${i}].ttl is not an integer`);
    if (!Array.isArray(records)) throw fail(`rrsets[${i}].records is not an array`);
    const contents = records.flatMap((r: unknown, j): string[] => {
      if (!isObject(r) || typeof r['content'] !== 'string')
        throw fail(`rrsets[${i}].records[${j}] lacks content`);
      return r['disabled'] === true ? [] : [r['content']];
    });
    return { name: name.toLowerCase(), type, ttl, records: contents };
  });
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text.length === 0) return undefined;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text; // a JSON content type with a broken body: keep the text for the error message
    }
  }
  return text;
}

/** PowerDNS's `{"error": "..."}` text, or a plain-text body (4.7 sends text/plain for some errors). */
function errorText(body: unknown): string | undefined {
  if (isObject(body) && typeof body['error'] === 'string') return body['error'];
  if (typeof body === 'string' && body.trim().length > 0) return body.trim().slice(0, MAX_ERROR_TEXT);
  return undefined;
}

function expectObject(body: unknown, operation: string): Record<string, unknown> {
  if (!isObject(body)) {
    throw new DnsProviderError({
      provider: PROVIDER,
      operation,
      message: 'unexpected response shape: body is not a JSON object',
      retryable: false,
    });
  }
  return body;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
