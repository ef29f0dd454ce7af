export { AUTH_OPTIONS, type AuthOptions } from './auth-options';
export { AuthModule, type AuthModuleAsyncOptions } from './auth.module';
export { AuthGuard, bearerChallenge, parseBearer } from './auth.guard';
export { CurrentPrincipal, IS_PUBLIC_KEY, Public, ROLES_KEY, Roles, principalOf } from './auth.decorators';
export {
  ROLES,
  hasAnyRole,
  isRole,
  principalFromClaims,
  type ClaimNames,
  type Principal,
  type Role,
} from './principal';
export { TokenVerifier, rejectionReason, verifyAccessToken, type VerificationRules } from './token-verifier';
