export { AUTH_OPTIONS, type AuthOptions } from './auth-options';
export { AuthModule, type AuthModuleAsyncOptions } from './auth.module';
export { API_TOKEN_PREFIX, AuthGuard, bearerChallenge, checkScopes, parseBearer } from './auth.guard';
export {
  AcceptsStreamTicket,
  CurrentPrincipal,
  IS_PUBLIC_KEY,
  Public,
  ROLES_KEY,
  Roles,
  SCOPES_EXTENSION,
  SCOPES_KEY,
  Scopes,
  principalOf,
} from './auth.decorators';
export {
  CALLER_DIRECTORY,
  TokenClaimsCallers,
  resolvePrincipal,
  type CallerDirectory,
  type CallerRecords,
} from './callers';
export {
  ROLES,
  hasAnyRole,
  identityFromClaims,
  isRole,
  principalFromClaims,
  type ClaimNames,
  type Principal,
  type Role,
  type TokenIdentity,
} from './principal';
export {
  ROLE_SCOPES,
  SCOPES,
  SCOPE_DESCRIPTIONS,
  effectiveScopes,
  isScope,
  missingScopes,
  scopesOfRoles,
  type Scope,
} from './scopes';
export {
  DEFAULT_JWKS_COOLDOWN_MS,
  TokenVerifier,
  rejectionReason,
  verifiedClaims,
  verifyAccessToken,
  type VerificationRules,
} from './token-verifier';
