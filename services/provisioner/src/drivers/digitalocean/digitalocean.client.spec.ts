import { nextPageOf, refusalFromResponse } from './digitalocean.client';

const NOW = 1_700_000_000_000;

function headers(values: Record<string, string> = {}): Headers {
  return new Headers(values);
}

describe('DigitalOcean refusals', () => {
  it('takes id and message from the error envelope; 401, 404 and 422 are final', () => {
    expect(
      refusalFromResponse(
        401,
        headers(),
        '{"id":"unauthorized","message":"Unable to authenticate you.","request_id":"r1"}',
        NOW,
      ),
    ).toEqual({
      status: 401,
      code: 'unauthorized',
      message: 'Unable to authenticate you.',
      retryable: false,
    });
    expect(
      refusalFromResponse(
        422,
        headers(),
        '{"id":"unprocessable_entity","message":"You specified an invalid image for Droplet creation."}',
        NOW,
      ),
    ).toMatchObject({ code: 'unprocessable_entity', retryable: false });
    expect(refusalFromResponse(404, headers(), '{"id":"not_found","message":"gone"}', NOW).retryable).toBe(
      false,
    );
  });

  it('a droplet busy with another event (422 pending event) is worth retrying', () => {
    expect(
      refusalFromResponse(
        422,
        headers(),
        '{"id":"unprocessable_entity","message":"Droplet already has a pending event."}',
        NOW,
      ),
    ).toMatchObject({ status: 422, code: 'unprocessable_entity', retryable: true });
  });

  it('5xx are retryable, and an HTML page from the load balancer still gives a readable message', () => {
    expect(
      refusalFromResponse(
        500,
        headers(),
        '{"id":"server_error","message":"Unexpected server-side error"}',
        NOW,
      ),
    ).toMatchObject({ retryable: true, code: 'server_error' });
    const html = refusalFromResponse(
      503,
      headers({ 'content-type': 'text/html' }),
      '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>',
      NOW,
    );
    expect(html).toEqual({ status: 503, message: '503 Service Temporarily Unavailable', retryable: true });
    expect(refusalFromResponse(502, headers(), '', NOW).message).toBe('HTTP 502');
    expect(refusalFromResponse(501, headers(), '', NOW).retryable).toBe(false);
  });

  it('429: retry-after (burst limit) wins; otherwise the seconds until ratelimit-reset', () => {
    const body = '{"id":"too_many_requests","message":"API rate limit exceeded."}';
    expect(
      refusalFromResponse(
        429,
        headers({
          'retry-after': '12',
          'ratelimit-remaining': '0',
          'ratelimit-reset': String(NOW / 1000 + 900),
        }),
        body,
        NOW,
      ),
    ).toEqual({
      status: 429,
      code: 'too_many_requests',
      message: 'API rate limit exceeded.',
      retryable: true,
      retryAfterSeconds: 12,
    });
    expect(
      refusalFromResponse(429, headers({ 'ratelimit-reset': String(NOW / 1000 + 900) }), body, NOW)
        .retryAfterSeconds,
    ).toBe(900);
    expect(
      refusalFromResponse(429, headers({ 'retry-after': new Date(NOW + 5000).toUTCString() }), body, NOW)
        .retryAfterSeconds,
    ).toBe(5);
    expect(refusalFromResponse(429, headers(), body, NOW).retryAfterSeconds).toBeUndefined();
    // ratelimit-reset on an ordinary answer is no reason to wait.
    expect(
      refusalFromResponse(500, headers({ 'ratelimit-reset': String(NOW / 1000 + 900) }), body, NOW)
        .retryAfterSeconds,
    ).toBeUndefined();
  });
});

describe('DigitalOcean page links', () => {
  it('reads the next page from links.pages.next; none on the last page', () => {
    expect(
      nextPageOf({
        droplets: [],
        links: {
          pages: {
            next: 'https://api.digitalocean.com/v2/droplets?page=3&per_page=200&tag_name=a%3Ab',
            last: 'https://api.digitalocean.com/v2/droplets?page=4&per_page=200',
          },
        },
      }),
    ).toBe(3);
    expect(
      nextPageOf({
        links: { pages: { first: 'https://x/v2/droplets?page=1', prev: 'https://x/v2/droplets?page=1' } },
      }),
    ).toBeUndefined();
    expect(nextPageOf({ links: {} })).toBeUndefined();
    expect(nextPageOf({ links: { pages: { next: 'not a url' } } })).toBeUndefined();
  });
});
