import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import type { Scope } from './scopes';

export const ROLES = ['ops', 'operator'] as const;
/** `ops`: provider staff, sees every org. `operator`: manages the tenants of one org. */
export type Role = (typeof ROLES)[number];

/** Who is calling, as taken from a verified access token or API token. */
export interface Principal {
  /** `sub` of the token (the client id for client_credentials tokens); an API token's creator. */
  subject: string;
  /** The fedops roles the token carries; roles fedops does not know are dropped. */
  roles: Role[];
  /** The operator's organisation; always set when `roles` includes `operator`. */
  orgId?: string;
  /** The issuer of `subject` (with it, the key of an organisation membership); set once resolved. */
  issuer?: string;
  /** An API token's scopes. Absent for the identity provider's tokens: they have all their roles' scopes. */
  scopes?: Scope[];
  /** The API token the request came with. */
  apiTokenId?: string;
}

/** What a verified access token of the identity provider says about its caller. */
export interface TokenIdentity {
  subject: string;
  roles: Role[];
  /** The `org` claim, when the issuer sets one. */
  orgClaim?: string;
}

/** Names of the claims carrying roles and org. The embedded issuer uses `roles` (RFC 9068 section 2.2.3.1) and `org`. */
export interface ClaimNames {
  roles: string;
  org: string;
}

export const DEFAULT_CLAIM_NAMES: ClaimNames = { roles: 'roles', org: 'org' };

const ORG_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * The principal of a token whose signature and registered claims were already verified.
 * Throws `Unauthenticated` when the token's fedops claims are malformed, so a bad token is never
 * half-trusted (e.g. an operator without an org could otherwise fall outside every org scope check).
 */
export function principalFromClaims(
  claims: Record<string, unknown>,
  names: ClaimNames = DEFAULT_CLAIM_NAMES,
): Principal {
  const { subject, roles, orgClaim } = identityFromClaims(claims, names);
  if (roles.includes('operator') && orgClaim === undefined) {
    throw invalidToken(`operator token has no ${names.org} claim`);
  }
  return orgClaim === undefined ? { subject, roles } : { subject, roles, orgId: orgClaim };
}

/**
 * The caller a verified token names, before organisation membership is looked up: an operator's
 * token may lack the org claim (its organisation then comes from membership). Malformed fedops
 * claims are still `Unauthenticated`.
 */
export function identityFromClaims(
  claims: Record<string, unknown>,
  names: ClaimNames = DEFAULT_CLAIM_NAMES,
): TokenIdentity {
  const { sub } = claims;
  if (typeof sub !== 'string' || sub.length === 0) throw invalidToken('token has no subject (sub)');

  const rawRoles = claims[names.roles] ?? [];
  if (!Array.isArray(rawRoles) || !rawRoles.every((r): r is string => typeof r === 'string')) {
    throw invalidToken(`${names.roles} claim must be an array of strings`);
  }
  const roles = ROLES.filter((r) => rawRoles.includes(r));

  const org = claims[names.org];
  if (org !== undefined && (typeof org !== 'string' || !ORG_ID.test(org))) {
    throw invalidToken(`${names.org} claim must be an organisation id (lowercase letters, digits, dashes)`);
  }
  return org === undefined ? { subject: sub, roles } : { subject: sub, roles, orgClaim: org };
}

/** Whether the principal holds at least one of `required` (an empty list means any fedops role). */
export function hasAnyRole(principal: Principal, required: readonly Role[]): boolean {
  if (required.length === 0) return principal.roles.length > 0;
  return required.some((r) => principal.roles.includes(r));
}

export function invalidToken(message: string, cause?: unknown): FedopsError {
  return new FedopsError(FedopsErrorCode.Unauthenticated, message, cause === undefined ? {} : { cause });
}
