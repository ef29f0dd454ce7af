import { refusalFromResponse } from './hetzner-api';

describe('Hetzner refusals', () => {
  const json = (code: string, message: string, details: unknown = null): string =>
    JSON.stringify({ error: { code, message, details } });
  const headers = (entries: Record<string, string> = {}): Headers => new Headers(entries);

  it('keeps the vendor’s code and message, with the fields invalid_input names', () => {
    const refusal = refusalFromResponse(
      400,
      headers(),
      json('invalid_input', "invalid input in field 'image'", {
        fields: [{ name: 'image', messages: ['image no-such not found'] }],
      }),
    );
    expect(refusal).toEqual({
      status: 400,
      code: 'invalid_input',
      message: "invalid input in field 'image' (image: image no-such not found)",
      retryable: false,
    });
  });

  it.each([
    ['rate_limit_exceeded', 429, true],
    ['locked', 423, true],
    ['conflict', 409, true],
    ['server_error', 500, true],
    ['unavailable', 503, true],
    ['timeout', 504, true],
    ['uniqueness_error', 409, false],
    ['unauthorized', 401, false],
    ['forbidden', 403, false],
    ['not_found', 404, false],
    ['resource_limit_exceeded', 403, false],
    ['server_not_stopped', 409, false],
  ])('%s (%i) retryable: %s', (code, status, retryable) => {
    expect(refusalFromResponse(status, headers(), json(code, 'x')).retryable).toBe(retryable);
  });

  it('judges a body that is not the API’s by its status', () => {
    expect(refusalFromResponse(502, headers(), '<html>Bad Gateway</html>')).toEqual({
      status: 502,
      message: 'HTTP 502: <html>Bad Gateway</html>',
      retryable: true,
    });
    expect(refusalFromResponse(400, headers(), '').retryable).toBe(false);
    expect(refusalFromResponse(409, headers(), '').retryable).toBe(false);
  });

  it('says when to come back after a 429: the next request, or the reset if sooner', () => {
    const now = 1_700_000_000_000;
    const limited = (limit: string, reset: number): number | undefined =>
      refusalFromResponse(
        429,
        headers({ 'ratelimit-limit': limit, 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset) }),
        json('rate_limit_exceeded', 'limit reached'),
        now,
      ).retryAfterSeconds;
    // 3600 an hour: one request is back after a second, the bucket is full an hour later.
    expect(limited('3600', now / 1000 + 3600)).toBe(1);
    // 60 an hour: a minute per request, unless the reset comes first.
    expect(limited('60', now / 1000 + 3600)).toBe(60);
    expect(limited('60', now / 1000 + 10)).toBe(10);
    expect(limited('3600', now / 1000 - 5)).toBe(1);
    expect(
      refusalFromResponse(429, headers({ 'retry-after': '7' }), json('rate_limit_exceeded', 'x'), now)
        .retryAfterSeconds,
    ).toBe(7);
    expect(
      refusalFromResponse(500, headers(), json('server_error', 'x'), now).retryAfterSeconds,
    ).toBeUndefined();
  });
});
