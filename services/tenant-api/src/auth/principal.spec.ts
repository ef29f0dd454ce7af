import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { hasAnyRole, identityFromClaims, principalFromClaims } from './principal';

function rejection(claims: Record<string, unknown>, names?: { roles: string; org: string }): string {
  try {
    principalFromClaims(claims, names);
  } catch (err) {
    expect(err).toBeInstanceOf(FedopsError);
    expect((err as FedopsError).code).toBe(FedopsErrorCode.Unauthenticated);
    return (err as FedopsError).message;
  }
  throw new Error('expected the claims to be rejected');
}

describe('principalFromClaims', () => {
  it('takes subject, roles and org of an operator', () => {
    expect(principalFromClaims({ sub: 'fedops-operator-acme', roles: ['operator'], org: 'acme' })).toEqual({
      subject: 'fedops-operator-acme',
      roles: ['operator'],
      orgId: 'acme',
    });
  });

  it('gives ops staff no org', () => {
    expect(principalFromClaims({ sub: 'fedops-ops', roles: ['ops'] })).toEqual({
      subject: 'fedops-ops',
      roles: ['ops'],
    });
  });

  it('drops roles fedops does not know and duplicates', () => {
    expect(principalFromClaims({ sub: 's', roles: ['admin', 'ops', 'ops', 'offline_access'] }).roles).toEqual(
      ['ops'],
    );
  });

  it('treats a token without roles as having none', () => {
    expect(principalFromClaims({ sub: 's' }).roles).toEqual([]);
  });

  it('reads configured claim names', () => {
    const names = { roles: 'https://fedops.dev/roles', org: 'https://fedops.dev/org' };
    expect(
      principalFromClaims(
        { sub: 's', 'https://fedops.dev/roles': ['operator'], 'https://fedops.dev/org': 'globex' },
        names,
      ),
    ).toEqual({
      subject: 's',
      roles: ['operator'],
      orgId: 'globex',
    });
  });

  it('rejects a token without subject', () => {
    expect(rejection({ roles: ['ops'] })).toBe('token has no subject (sub)');
    expect(rejection({ sub: '', roles: ['ops'] })).toBe('token has no subject (sub)');
  });

  it('rejects roles that are not an array of strings', () => {
    expect(rejection({ sub: 's', roles: 'ops' })).toBe('roles claim must be an array of strings');
    expect(rejection({ sub: 's', roles: ['ops', 1] })).toBe('roles claim must be an array of strings');
  });

  it('rejects an operator without org, so no operator falls outside org scoping', () => {
    expect(rejection({ sub: 's', roles: ['operator'] })).toBe('operator token has no org claim');
  });

  it('rejects an org that is not an org id', () => {
    expect(rejection({ sub: 's', roles: ['operator'], org: 'ACME Inc' })).toMatch(
      /^org claim must be an organisation id/,
    );
    expect(rejection({ sub: 's', roles: ['operator'], org: ['acme'] })).toMatch(/^org claim must be/);
  });
});

describe('identityFromClaims', () => {
  it('leaves the organisation of an operator without org claim to membership', () => {
    expect(identityFromClaims({ sub: 'carol', roles: ['operator'] })).toEqual({
      subject: 'carol',
      roles: ['operator'],
    });
    expect(identityFromClaims({ sub: 'carol', roles: ['operator'], org: 'acme' })).toEqual({
      subject: 'carol',
      roles: ['operator'],
      orgClaim: 'acme',
    });
  });
  it('still rejects malformed claims', () => {
    expect(() => identityFromClaims({ sub: 'carol', org: 'Not An Org' })).toThrow(/^org claim must be/);
    expect(() => identityFromClaims({ roles: ['ops'] })).toThrow('token has no subject (sub)');
  });
});

describe('hasAnyRole', () => {
  const operator = { subject: 's', roles: ['operator' as const], orgId: 'acme' };
  it('needs one of the required roles', () => {
    expect(hasAnyRole(operator, ['ops', 'operator'])).toBe(true);
    expect(hasAnyRole(operator, ['ops'])).toBe(false);
  });
  it('needs some fedops role when none is named', () => {
    expect(hasAnyRole(operator, [])).toBe(true);
    expect(hasAnyRole({ subject: 's', roles: [] }, [])).toBe(false);
  });
});
