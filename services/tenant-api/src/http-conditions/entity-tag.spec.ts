import { type FedopsError, FedopsErrorCode } from '@fedops/domain';
import { entityTag, parseEntityTags, requireIfMatch, strongMatch } from './entity-tag';

function codeOf(run: () => void): string | undefined {
  try {
    run();
  } catch (err) {
    return (err as FedopsError).code;
  }
  return undefined;
}

describe('entityTag', () => {
  it('is a strong quoted tag that changes with the version and the resource', () => {
    const tag = entityTag('organisation', 'acme', 1);
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(entityTag('organisation', 'acme', 1)).toBe(tag);
    expect(entityTag('organisation', 'acme', 2)).not.toBe(tag);
    expect(entityTag('organisation', 'globex', 1)).not.toBe(tag);
    expect(entityTag('tenant', 'acme', 1)).not.toBe(tag);
  });
});

describe('parseEntityTags', () => {
  it('reads *, one tag or a list, weak or strong', () => {
    expect(parseEntityTags('*')).toBe('*');
    expect(parseEntityTags('"abc"')).toEqual(['"abc"']);
    expect(parseEntityTags(' "a" , W/"b","c" ')).toEqual(['"a"', 'W/"b"', '"c"']);
    expect(parseEntityTags('""')).toEqual(['""']);
  });
  it('refuses what is not an entity tag', () => {
    for (const bad of ['abc', '"a', 'W/abc', '"a" "b"', '', ','])
      expect(parseEntityTags(bad)).toBeUndefined();
  });
});

describe('strongMatch', () => {
  it('matches equal strong tags only (RFC 9110 section 8.8.3.2)', () => {
    expect(strongMatch('"a"', '"a"')).toBe(true);
    expect(strongMatch('W/"a"', '"a"')).toBe(false);
    expect(strongMatch('"a"', '"b"')).toBe(false);
  });
});

describe('requireIfMatch', () => {
  const current = entityTag('organisation', 'acme', 3);
  it('passes the current tag, a list holding it, and *', () => {
    expect(() => requireIfMatch(current, current, 'organisation acme')).not.toThrow();
    expect(() => requireIfMatch(`"old", ${current}`, current, 'organisation acme')).not.toThrow();
    expect(() => requireIfMatch('*', current, 'organisation acme')).not.toThrow();
  });
  it('answers 428 without If-Match, 412 for a stale or weak tag, 400 for a malformed one', () => {
    expect(codeOf(() => requireIfMatch(undefined, current, 'organisation acme'))).toBe(
      FedopsErrorCode.PreconditionRequired,
    );
    expect(codeOf(() => requireIfMatch(' ', current, 'organisation acme'))).toBe(
      FedopsErrorCode.PreconditionRequired,
    );
    expect(
      codeOf(() => requireIfMatch(entityTag('organisation', 'acme', 2), current, 'organisation acme')),
    ).toBe(FedopsErrorCode.PreconditionFailed);
    expect(codeOf(() => requireIfMatch(`W/${current}`, current, 'organisation acme'))).toBe(
      FedopsErrorCode.PreconditionFailed,
    );
    expect(codeOf(() => requireIfMatch('v3', current, 'organisation acme'))).toBe(
      FedopsErrorCode.ValidationFailed,
    );
  });
  it('says what changed and names the current tag', () => {
    try {
      requireIfMatch('"old"', current, 'organisation acme');
    } catch (err) {
      expect((err as FedopsError).message).toBe(
        `Organisation acme changed since the version If-Match names (it is now ${current}); GET it again and reapply the change`,
      );
      expect((err as FedopsError).details.extensions).toEqual({ currentETag: current });
    }
  });
});
