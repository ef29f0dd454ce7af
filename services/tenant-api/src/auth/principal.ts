import { FedopsError, FedopsErrorCode } from '@fedops/domain';

export const ROLES = ['ops', 'operator'] as const;
/** `ops`: provider staff, sees every org. `operator`: manages the tenants of one org. */
export type Role = (typeof ROLES)[number];

/** Who is calling, as taken from a verified access token. */
export interface Principal {
  /** `sub` of the token (the client id for client_credentials tokens). */
  subject: string;
  /** The fedops roles the token carries; roles fedops does not know are dropped. */
  roles: Role[];
  /** The operator's organisation; always set when `roles` includes `operator`. */
  orgId?: string;
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
  if (roles.includes('operator') && org === undefined) {
    throw invalidToken(`operator token has no ${names.org} claim`);
  }
  return org === undefined ? { subject: sub, roles } : { subject: sub, roles, orgId: org };
}

/** Whether the principal holds at least one of `required` (an empty list means any fedops role). */
export function hasAnyRole(principal: Principal, required: readonly Role[]): boolean {
  if (required.length === 0) return principal.roles.length > 0;
  return required.some((r) => principal.roles.includes(r));
}

export function invalidToken(message: string, cause?: unknown): FedopsError {
  return new FedopsError(FedopsErrorCode.Unauthenticated, message, cause === undefined ? {} : { cause });
}
