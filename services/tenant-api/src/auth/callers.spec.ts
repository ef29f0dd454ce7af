import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { TokenClaimsCallers, resolvePrincipal, type CallerRecords } from './callers';
import type { TokenIdentity } from './principal';

const ISSUER = 'https://id.example.net';

function refusal(identity: TokenIdentity, records: CallerRecords): string {
  try {
    resolvePrincipal(identity, ISSUER, records);
  } catch (err) {
    expect(err).toBeInstanceOf(FedopsError);
    expect((err as FedopsError).code).toBe(FedopsErrorCode.Forbidden);
    return (err as FedopsError).message;
  }
  throw new Error('expected a refusal');
}

describe('resolvePrincipal', () => {
  it('takes ops from the roles claim, whatever the records say', () => {
    expect(
      resolvePrincipal({ subject: 'alice', roles: ['ops'] }, ISSUER, {
        memberOf: 'acme',
        claimedOrgExists: false,
      }),
    ).toEqual({ subject: 'alice', roles: ['ops'], issuer: ISSUER });
  });

  it('makes a member an operator of their organisation, with or without roles and org claims', () => {
    const expected = { subject: 'carol', roles: ['operator'], orgId: 'initech', issuer: ISSUER };
    const records = { memberOf: 'initech', claimedOrgExists: false };
    expect(resolvePrincipal({ subject: 'carol', roles: [] }, ISSUER, records)).toEqual(expected);
    expect(resolvePrincipal({ subject: 'carol', roles: ['operator'] }, ISSUER, records)).toEqual(expected);
    expect(
      resolvePrincipal({ subject: 'carol', roles: ['operator'], orgClaim: 'initech' }, ISSUER, records),
    ).toEqual(expected);
  });

  it("refuses a member whose token's org claim names another organisation", () => {
    expect(
      refusal(
        { subject: 'carol', roles: ['operator'], orgClaim: 'globex' },
        { memberOf: 'initech', claimedOrgExists: true },
      ),
    ).toBe(
      "The token's org claim names organisation globex, but carol is a member of initech; ops staff must resolve the mismatch",
    );
  });

  it('accepts the org claim of a non-member operator only when that organisation exists', () => {
    expect(
      resolvePrincipal({ subject: 'fedops-operator-acme', roles: ['operator'], orgClaim: 'acme' }, ISSUER, {
        claimedOrgExists: true,
      }),
    ).toEqual({ subject: 'fedops-operator-acme', roles: ['operator'], orgId: 'acme', issuer: ISSUER });
    expect(
      refusal({ subject: 'dave', roles: ['operator'], orgClaim: 'nowhere' }, { claimedOrgExists: false }),
    ).toMatch(/^The token's organisation nowhere does not exist in fedops/);
    expect(refusal({ subject: 'dave', roles: ['operator'] }, { claimedOrgExists: false })).toMatch(
      /^dave is not a member of any organisation/,
    );
  });

  it('leaves a caller without role or membership without a role (the guard refuses them)', () => {
    expect(
      resolvePrincipal({ subject: 'eve', roles: [], orgClaim: 'acme' }, ISSUER, { claimedOrgExists: true }),
    ).toEqual({ subject: 'eve', roles: [], issuer: ISSUER });
  });
});

describe('TokenClaimsCallers (no records)', () => {
  const callers = new TokenClaimsCallers();
  it('takes the claims as they are and refuses API tokens', async () => {
    await expect(
      callers.resolveIdentity({ subject: 'fedops-operator-acme', roles: ['operator'], orgClaim: 'acme' }),
    ).resolves.toEqual({ subject: 'fedops-operator-acme', roles: ['operator'], orgId: 'acme' });
    await expect(callers.resolveIdentity({ subject: 's', roles: ['operator'] })).rejects.toMatchObject({
      code: FedopsErrorCode.Unauthenticated,
    });
    await expect(callers.resolveApiToken()).rejects.toMatchObject({ code: FedopsErrorCode.Unauthenticated });
  });
});
