import https from 'node:https';

/**
 * A request to a sandbox machine's front (nginx on 443) with `host` as Host and TLS server name, as a
 * visitor's traffic arrives once DNS points at the machine. The front's certificate is a placeholder
 * (no ACME here), so it is not verified. No answer within 10 s is an error.
 */
export function front(
  address: string,
  host: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(
      `https://${address}${path}`,
      {
        method,
        headers: {
          Host: host,
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...options.headers,
        },
        servername: host,
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${host}${path}`)));
    req.on('error', reject);
    req.end(payload);
  });
}
