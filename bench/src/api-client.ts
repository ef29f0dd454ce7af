/** The few calls of the public API the benchmark makes, as an operator's script would. */
export interface TenantView {
  id: string;
  domain: string;
  status: string;
  operation: { id: string };
  error?: string;
}

export interface OperationView {
  id: string;
  status: string;
  startedAt?: string;
  finishedAt?: string;
  steps: Array<{ name: string; status: string; startedAt?: string; finishedAt?: string; error?: string }>;
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

export class BenchApiClient {
  /** Requests sent so far (the benchmark's own load on tenant-api). */
  requests = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  createTenant(body: unknown): Promise<ApiAnswer<TenantView>> {
    return this.call<TenantView>('POST', '/v1/tenants', body);
  }
  getTenant(id: string): Promise<ApiAnswer<TenantView>> {
    return this.call<TenantView>('GET', `/v1/tenants/${id}`);
  }
  deleteTenant(id: string): Promise<ApiAnswer<TenantView>> {
    return this.call<TenantView>('DELETE', `/v1/tenants/${id}`);
  }
  getOperation(id: string): Promise<ApiAnswer<OperationView>> {
    return this.call<OperationView>('GET', `/v1/operations/${id}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    this.requests += 1;
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${this.token}`,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(30_000),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new Error(`${method} ${path} failed`, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown = text;
    if (text.length > 0 && /json/.test(res.headers.get('content-type') ?? '')) parsed = JSON.parse(text);
    // The body's shape is the API's documented one; the caller checks the status first.
    return { status: res.status, body: parsed as T };
  }
}
