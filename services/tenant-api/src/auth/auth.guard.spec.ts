import { bearerChallenge, parseBearer } from './auth.guard';

describe('parseBearer', () => {
  it('reads a bearer token, scheme case-insensitive', () => {
    expect(parseBearer('Bearer abc.def-_~+/ghi==')).toEqual({ kind: 'token', token: 'abc.def-_~+/ghi==' });
    expect(parseBearer('bearer abc')).toEqual({ kind: 'token', token: 'abc' });
  });
  it('tells a missing header from a malformed one', () => {
    expect(parseBearer(undefined)).toEqual({ kind: 'missing' });
    expect(parseBearer('  ')).toEqual({ kind: 'missing' });
    expect(parseBearer('Basic dXNlcjpwYXNz')).toEqual({ kind: 'malformed' });
    expect(parseBearer('Bearer ')).toEqual({ kind: 'malformed' });
    expect(parseBearer('Bearer a b')).toEqual({ kind: 'malformed' });
  });
});

describe('bearerChallenge', () => {
  it('has no error code when no credentials were sent (RFC 6750 section 3.1)', () => {
    expect(bearerChallenge()).toBe('Bearer realm="fedops"');
  });
  it('names invalid_token with a quoted-string-safe description', () => {
    expect(bearerChallenge('token "x" expired\\')).toBe(
      'Bearer realm="fedops", error="invalid_token", error_description="token  x  expired "',
    );
  });
});
