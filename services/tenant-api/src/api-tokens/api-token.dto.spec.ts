import { type FedopsError } from '@fedops/domain';
import {
  DEFAULT_EXPIRES_IN_SECONDS,
  MAX_EXPIRES_IN_SECONDS,
  parseCreateApiTokenRequest,
} from './api-token.dto';

function fieldsOf(body: unknown): string[] {
  try {
    parseCreateApiTokenRequest(body);
  } catch (err) {
    return ((err as FedopsError).details.fields ?? []).map((f) => f.field);
  }
  throw new Error('expected a validation error');
}

describe('parseCreateApiTokenRequest', () => {
  it('defaults the lifetime to 30 days and orders the scopes', () => {
    expect(
      parseCreateApiTokenRequest({ name: ' ci ', scopes: ['tenants:write', 'tenants:read', 'tenants:read'] }),
    ).toEqual({
      name: 'ci',
      scopes: ['tenants:read', 'tenants:write'],
      expiresInSeconds: DEFAULT_EXPIRES_IN_SECONDS,
    });
    expect(DEFAULT_EXPIRES_IN_SECONDS).toBe(30 * 86_400);
  });

  it('accepts at most 365 days', () => {
    expect(
      parseCreateApiTokenRequest({ name: 'x', scopes: ['tenants:read'], expiresIn: MAX_EXPIRES_IN_SECONDS })
        .expiresInSeconds,
    ).toBe(365 * 86_400);
    expect(fieldsOf({ name: 'x', scopes: ['tenants:read'], expiresIn: MAX_EXPIRES_IN_SECONDS + 1 })).toEqual([
      'expiresIn',
    ]);
    expect(fieldsOf({ name: 'x', scopes: ['tenants:read'], expiresIn: 0 })).toEqual(['expiresIn']);
    expect(fieldsOf({ name: 'x', scopes: ['tenants:read'], expiresIn: 1.5 })).toEqual(['expiresIn']);
  });

  it('names every bad field', () => {
    expect(fieldsOf({ name: '', scopes: ['tenants:read', 'root'], extra: 1 })).toEqual([
      'extra',
      'name',
      'scopes[1]',
    ]);
    expect(fieldsOf({ name: 'x', scopes: [] })).toEqual(['scopes']);
    expect(fieldsOf({ name: 'a\u0000b', scopes: ['tenants:read'] })).toEqual(['name']);
    expect(fieldsOf([])).toEqual(['(body)']);
  });
});
