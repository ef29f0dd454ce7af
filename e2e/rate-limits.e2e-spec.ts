import { startTestPlatform, type TestPlatform } from '@fedops/testing';

/** tenant-api with a quota of 5 requests per minute per token. */
let env: TestPlatform;

beforeAll(async () => {
  env = await startTestPlatform('ratelimit', {
    extraEnv: {
      'tenant-api': { FEDOPS_RATE_LIMIT_REQUESTS: '5', FEDOPS_RATE_LIMIT_WINDOW_SECONDS: '60' },
    },
  });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

function get(path: string, token?: string): Promise<Response> {
  return fetch(`${env.apiUrl}${path}`, {
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });
}

describe('rate limits per token', () => {
  it('announces the quota on every answer and refuses the request past it with a 429 saying when to retry', async () => {
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push(await get('/v1/tenants', env.tokens.acme));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers.map((r) => r.headers.get('ratelimit'))).toEqual([
      expect.stringMatching(/^"per-token";r=4;t=\d+$/),
      expect.stringMatching(/^"per-token";r=3;t=\d+$/),
      expect.stringMatching(/^"per-token";r=2;t=\d+$/),
      expect.stringMatching(/^"per-token";r=1;t=\d+$/),
      expect.stringMatching(/^"per-token";r=0;t=\d+$/),
      expect.stringMatching(/^"per-token";r=0;t=\d+$/),
    ]);
    expect(answers[0]?.headers.get('ratelimit-policy')).toBe('"per-token";q=5;w=60');

    const refused = answers[5];
    expect(refused?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(refused?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(12);
    expect(await refused?.json()).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      detail: expect.stringContaining('5 requests per 60 s'),
    });
  });

  it("keeps each token's quota apart, and does not limit health checks", async () => {
    const other = await get('/v1/tenants', env.tokens.globex);
    expect(other.status).toBe(200);
    for (let i = 0; i < 8; i += 1) expect((await get('/healthz')).status).toBe(200);
  });
});
