import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { checkScopes } from './auth.guard';
import type { Principal } from './principal';
import { ROLE_SCOPES, SCOPES, effectiveScopes, missingScopes, scopesOfRoles } from './scopes';

const opsJwt: Principal = { subject: 'fedops-ops', roles: ['ops'] };
const operatorJwt: Principal = { subject: 'carol', roles: ['operator'], orgId: 'acme' };
const readOnlyToken: Principal = {
  subject: 'carol',
  roles: ['operator'],
  orgId: 'acme',
  scopes: ['tenants:read'],
  apiTokenId: '0123456789abcdef01234567',
};

function refusal(principal: Principal, required: Parameters<typeof checkScopes>[1]): string {
  try {
    checkScopes(principal, required);
  } catch (err) {
    expect(err).toBeInstanceOf(FedopsError);
    expect((err as FedopsError).code).toBe(FedopsErrorCode.Forbidden);
    return (err as FedopsError).message;
  }
  throw new Error('expected a refusal');
}

describe('scopes of roles', () => {
  it('gives ops staff every scope and operators those of their organisation', () => {
    expect(scopesOfRoles(['ops'])).toEqual([...SCOPES]);
    expect(scopesOfRoles(['operator'])).toEqual([
      'tenants:read',
      'tenants:write',
      'operations:write',
      'organisations:read',
      'audit:read',
    ]);
    expect(scopesOfRoles([])).toEqual([]);
  });

  it('names only known scopes', () => {
    for (const scopes of Object.values(ROLE_SCOPES)) for (const s of scopes) expect(SCOPES).toContain(s);
  });

  it('takes an API token at its own scopes, an IdP token at all of its roles', () => {
    expect(effectiveScopes(readOnlyToken)).toEqual(['tenants:read']);
    expect(effectiveScopes(operatorJwt)).toContain('tenants:write');
    expect(missingScopes(readOnlyToken, ['tenants:read', 'tenants:write'])).toEqual(['tenants:write']);
    expect(missingScopes(opsJwt, ['organisations:admin', 'fleet:read'])).toEqual([]);
  });
});

describe('checkScopes', () => {
  it('lets a principal with every required scope through', () => {
    expect(() => checkScopes(readOnlyToken, ['tenants:read'])).not.toThrow();
    expect(() => checkScopes(operatorJwt, ['tenants:write'])).not.toThrow();
  });

  it('names the missing scope and the scopes the token has', () => {
    expect(refusal(readOnlyToken, ['tenants:write'])).toBe(
      'This operation requires scope tenants:write; the token has scopes: tenants:read',
    );
    expect(refusal(operatorJwt, ['organisations:admin'])).toMatch(
      /^This operation requires scope organisations:admin;/,
    );
  });

  it('refuses API tokens on routes that name no scope (token management), but not IdP tokens', () => {
    expect(refusal(readOnlyToken, undefined)).toBe(
      'This operation takes an access token of the identity provider, not an API token',
    );
    expect(() => checkScopes(operatorJwt, undefined)).not.toThrow();
  });
});
