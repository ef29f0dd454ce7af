import type { Principal, Role } from './principal';

/**
 * What a caller may do, route by route (`@Scopes(...)`). An API token carries the scopes it was
 * minted with; an access token of the identity provider has every scope of its roles.
 */
export const SCOPES = [
  'tenants:read',
  'tenants:write',
  'operations:write',
  'organisations:read',
  'organisations:admin',
  'fleet:read',
  'fleet:write',
  'providers:read',
  'providers:write',
  'audit:read',
] as const;
export type Scope = (typeof SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'tenants:read': 'read tenants, their events and operations, and the app catalog',
  'tenants:write': "create and delete tenants, and reveal their apps' first admin credentials (once)",
  'operations:write': 'cancel and retry operations',
  'organisations:read': "read the caller's organisation (ops staff: every organisation)",
  'organisations:admin': 'create, change and delete organisations and their members (ops staff)',
  'fleet:read': "read the fleet's machines and the machine reconciler's findings (ops staff)",
  'fleet:write': 'delete orphan machines found by the machine reconciler, after a dry run (ops staff)',
  'providers:read': 'read the registered resource providers, without their credentials (ops staff)',
  'providers:write': 'register, test and remove resource providers (ops staff)',
  'audit:read': "read the audit log (operators: their organisation's lines)",
};

/** The scopes each role has; a principal's are the union over its roles. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  ops: SCOPES,
  operator: ['tenants:read', 'tenants:write', 'operations:write', 'organisations:read', 'audit:read'],
};

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** The scopes of these roles, in SCOPES order. */
export function scopesOfRoles(roles: readonly Role[]): Scope[] {
  return SCOPES.filter((s) => roles.some((r) => ROLE_SCOPES[r].includes(s)));
}

/** What the principal may do: an API token's own scopes, or every scope of an IdP principal's roles. */
export function effectiveScopes(principal: Principal): Scope[] {
  return principal.scopes !== undefined ? [...principal.scopes] : scopesOfRoles(principal.roles);
}

/** The scopes of `required` the principal lacks (empty: it may call the route). */
export function missingScopes(principal: Principal, required: readonly Scope[]): Scope[] {
  const held = effectiveScopes(principal);
  return required.filter((s) => !held.includes(s));
}
