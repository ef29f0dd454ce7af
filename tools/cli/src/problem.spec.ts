import { formatProblem, isMissingRoute, parseProblem } from './problem';

describe('problems for people', () => {
  it('shows title, detail, status and code on one line', () => {
    const problem = parseProblem(
      '{"type":"https://fedops.dev/problems/not-found","title":"Not found","status":404,"detail":"Tenant t1 not found","code":"NOT_FOUND"}',
    );
    expect(problem).toBeDefined();
    expect(formatProblem(problem!, 404)).toBe('Not found: Tenant t1 not found (404 NOT_FOUND)');
  });

  it('lists every field error and leaves out a detail that only repeats them', () => {
    const problem = parseProblem(
      JSON.stringify({
        title: 'Invalid request',
        status: 400,
        code: 'VALIDATION_FAILED',
        detail: 'Invalid input: domain: is required; apps[0].app: unknown app "myspace"',
        errors: [
          { field: 'domain', message: 'is required' },
          { field: 'apps[0].app', message: 'unknown app "myspace"' },
        ],
      }),
    );
    expect(formatProblem(problem!, 400)).toBe(
      'Invalid request (400 VALIDATION_FAILED)\n  domain: is required\n  apps[0].app: unknown app "myspace"',
    );
  });

  it('keeps a detail that says more than the field errors', () => {
    const problem = parseProblem(
      JSON.stringify({
        title: 'Conflict',
        detail: 'The tenant is being deleted',
        errors: [{ field: 'domain', message: 'taken' }],
      }),
    );
    expect(formatProblem(problem!, 409)).toBe('Conflict: The tenant is being deleted (409)\n  domain: taken');
  });

  it('reads an OAuth error answer the same way', () => {
    expect(
      formatProblem(parseProblem('{"error":"invalid_client","error_description":"bad secret"}')!, 401),
    ).toBe('invalid_client: bad secret (401)');
  });

  it('finds no problem in what is not one', () => {
    expect(parseProblem('<html>Bad Gateway</html>')).toBeUndefined();
    expect(parseProblem('')).toBeUndefined();
    expect(parseProblem('[1,2]')).toBeUndefined();
    expect(parseProblem('{"items":[]}')).toBeUndefined();
  });

  it('tells a missing route (an older server) from a missing resource', () => {
    const route = parseProblem(
      '{"title":"Not found","status":404,"detail":"Cannot GET /v1/providers","code":"NOT_FOUND"}',
    );
    const resource = parseProblem('{"title":"Not found","status":404,"detail":"Tenant t1 not found"}');
    expect(isMissingRoute(route, 404)).toBe(true);
    expect(isMissingRoute(resource, 404)).toBe(false);
    expect(isMissingRoute(route, 400)).toBe(false);
  });
});
