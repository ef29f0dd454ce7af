import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitForHealthy } from './health-checker';

describe('waitForHealthy', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function serve(handler: http.RequestListener): Promise<number> {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  it('sends the Host header and reports a healthy app', async () => {
    const hosts: string[] = [];
    const port = await serve((req, res) => {
      hosts.push(req.headers.host ?? '');
      res.writeHead(200).end('{"status":"ok"}');
    });
    const [result] = await waitForHealthy(
      [{ app: 'mastodon', url: `http://127.0.0.1:${port}/health`, host: 'social.example.org' }],
      { timeoutMs: 2000 },
    );
    expect(result).toMatchObject({ app: 'mastodon', healthy: true, status: 200 });
    expect(hosts).toEqual(['social.example.org']);
  });

  it('keeps polling until an app becomes healthy', async () => {
    let calls = 0;
    const port = await serve((_req, res) => {
      calls += 1;
      res.writeHead(calls < 3 ? 503 : 200).end();
    });
    const [result] = await waitForHealthy([{ app: 'a', url: `http://127.0.0.1:${port}/` }], {
      timeoutMs: 5000,
      intervalMs: 20,
    });
    expect(result?.healthy).toBe(true);
    expect(calls).toBe(3);
  });

  it('reports the last answer of an app that stays unhealthy, and a refused connection', async () => {
    const port = await serve((_req, res) => res.writeHead(503).end('busy'));
    const closed = await serve((_req, res) => res.end());
    await new Promise((r) => servers.pop()?.close(r));
    const results = await waitForHealthy(
      [
        { app: 'busy', url: `http://127.0.0.1:${port}/` },
        { app: 'gone', url: `http://127.0.0.1:${closed}/` },
      ],
      { timeoutMs: 600, intervalMs: 50 },
    );
    expect(results[0]).toMatchObject({
      app: 'busy',
      healthy: false,
      status: 503,
      problem: 'HTTP 503',
      body: 'busy',
    });
    expect(results[1]).toMatchObject({ app: 'gone', healthy: false });
    expect(results[1]?.problem).toMatch(/ECONNREFUSED/);
  });

  it('applies a body check to 200 answers', async () => {
    const port = await serve((_req, res) => res.writeHead(200).end('{"generation":1}'));
    const [result] = await waitForHealthy(
      [
        {
          app: 'a',
          url: `http://127.0.0.1:${port}/`,
          checkBody: (body) => (body.includes('"generation":2') ? undefined : 'old generation'),
        },
      ],
      { timeoutMs: 400, intervalMs: 50 },
    );
    expect(result).toMatchObject({ healthy: false, status: 200, problem: 'old generation' });
  });
});
