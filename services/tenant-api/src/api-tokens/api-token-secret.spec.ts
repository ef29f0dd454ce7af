import {
  API_TOKEN_FORMAT,
  formatApiToken,
  hashSecret,
  newApiToken,
  parseApiToken,
  secretMatches,
} from './api-token-secret';

describe('API token secrets', () => {
  it('are fdo_<24 hex>_<43 base64url> with at least 32 random bytes, different every time', () => {
    const a = newApiToken();
    const b = newApiToken();
    expect(a.token).toMatch(API_TOKEN_FORMAT);
    expect(a.token).toBe(`fdo_${a.id}_${a.secret}`);
    expect(Buffer.from(a.secret, 'base64url')).toHaveLength(32);
    expect(a.id).not.toBe(b.id);
    expect(a.secret).not.toBe(b.secret);
  });

  it('parse back into id and secret, even when the secret holds _ and -', () => {
    const token = formatApiToken({ id: '0123456789abcdef01234567', secret: `_-${'a'.repeat(41)}` });
    expect(parseApiToken(token)).toEqual({ id: '0123456789abcdef01234567', secret: `_-${'a'.repeat(41)}` });
  });

  it.each([
    ['another prefix', `fdx_0123456789abcdef01234567_${'a'.repeat(43)}`],
    ['a short id', `fdo_0123_${'a'.repeat(43)}`],
    ['a short secret', `fdo_0123456789abcdef01234567_${'a'.repeat(42)}`],
    ['a long secret', `fdo_0123456789abcdef01234567_${'a'.repeat(44)}`],
    ['padding', `fdo_0123456789abcdef01234567_${'a'.repeat(42)}=`],
    ['a JWT', 'eyJhbGciOi.eyJzdWIiOi.c2ln'],
  ])('are not parsed from %s', (_what, token) => {
    expect(parseApiToken(token)).toBeUndefined();
  });

  it('are stored as SHA-256 and compared against it', () => {
    const { secret } = newApiToken();
    const stored = hashSecret(secret);
    expect(stored).toHaveLength(32);
    expect(stored.toString('hex')).not.toContain(Buffer.from(secret).toString('hex'));
    expect(secretMatches(secret, stored)).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, stored)).toBe(false);
    expect(secretMatches(secret, stored.subarray(0, 16))).toBe(false);
  });
});
