import { Injectable } from '@nestjs/common';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { invalidToken, type Principal, type TokenIdentity } from './principal';

/** Where AuthGuard finds its CallerDirectory. */
export const CALLER_DIRECTORY = Symbol('CALLER_DIRECTORY');

/**
 * Turns a verified credential into the principal of the request: what fedops itself knows about
 * the caller (organisation membership, API tokens), beyond what the token claims.
 */
export interface CallerDirectory {
  /** The principal of a verified access token of `issuer`. Throws Forbidden for a caller that is refused. */
  resolveIdentity(identity: TokenIdentity, issuer: string): Promise<Principal>;
  /** The principal of an API token (`fdo_...`). Throws Unauthenticated for an unknown, expired or revoked one. */
  resolveApiToken(token: string): Promise<Principal>;
  /** The principal a stream ticket was issued to, for `tenantId`. Throws Unauthenticated when it is unknown, expired or for another tenant. */
  resolveStreamTicket(ticket: string, tenantId: string): Promise<Principal>;
}

/**
 * Facts about the caller found in fedops' own records, for `resolvePrincipal`:
 * - `memberOf`: the organisation the (issuer, subject) pair is a member of, if any;
 * - `claimedOrgExists`: whether the organisation the token's org claim names exists.
 */
export interface CallerRecords {
  memberOf?: string;
  claimedOrgExists: boolean;
}

/**
 * The rules that decide an identity-provider caller's principal:
 *
 * 1. `ops` comes from the token's roles claim only (provider staff are managed in the IdP); ops staff
 *    see every organisation, so membership does not apply to them.
 * 2. A member of an organisation (added by ops, keyed by issuer and subject) is an `operator` of
 *    that organisation; membership is fedops' own record and wins over the token. A token whose
 *    org claim names another organisation is refused (403), not silently re-scoped: the IdP and
 *    fedops disagree about who this is, and ops should look.
 * 3. Not a member: the org claim is accepted as a bootstrap for IdPs that manage organisations
 *    themselves, if the token also has the `operator` role and the organisation exists in fedops.
 *    Removing such a caller therefore means changing the IdP (or adding them elsewhere as a member).
 * 4. Anyone else has no fedops role (the guard answers 403).
 */
export function resolvePrincipal(identity: TokenIdentity, issuer: string, records: CallerRecords): Principal {
  const { subject, roles, orgClaim } = identity;
  if (roles.includes('ops')) {
    return { subject, roles, issuer, ...(orgClaim !== undefined ? { orgId: orgClaim } : {}) };
  }
  if (records.memberOf !== undefined) {
    if (orgClaim !== undefined && orgClaim !== records.memberOf) {
      throw new FedopsError(
        FedopsErrorCode.Forbidden,
        `The token's org claim names organisation ${orgClaim}, but ${subject} is a member of ` +
          `${records.memberOf}; ops staff must resolve the mismatch`,
      );
    }
    return { subject, roles: ['operator'], orgId: records.memberOf, issuer };
  }
  if (roles.includes('operator')) {
    if (orgClaim === undefined) {
      throw new FedopsError(
        FedopsErrorCode.Forbidden,
        `${subject} is not a member of any organisation (ops staff add members with POST /v1/organisations/{id}/members)`,
      );
    }
    if (!records.claimedOrgExists) {
      throw new FedopsError(
        FedopsErrorCode.Forbidden,
        `The token's organisation ${orgClaim} does not exist in fedops (ops staff create it with POST /v1/organisations)`,
      );
    }
    return { subject, roles: ['operator'], orgId: orgClaim, issuer };
  }
  return { subject, roles: [], issuer };
}

/**
 * The principal exactly as the token claims it, without any records: what AuthModule uses when no
 * directory is given (tests of the guard alone). API tokens need records and are refused.
 */
@Injectable()
export class TokenClaimsCallers implements CallerDirectory {
  resolveIdentity(identity: TokenIdentity): Promise<Principal> {
    const { subject, roles, orgClaim } = identity;
    if (roles.includes('operator') && orgClaim === undefined) {
      return Promise.reject(invalidToken('operator token has no org claim'));
    }
    return Promise.resolve(orgClaim === undefined ? { subject, roles } : { subject, roles, orgId: orgClaim });
  }

  resolveApiToken(): Promise<Principal> {
    return Promise.reject(invalidToken('API tokens are not accepted here'));
  }

  resolveStreamTicket(): Promise<Principal> {
    return Promise.reject(invalidToken('stream tickets are not accepted here'));
  }
}
