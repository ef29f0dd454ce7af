import type { ClaimNames } from './principal';

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

export interface AuthOptions {
  /** The OpenID Provider whose access tokens are accepted; its discovery document is read from here. */
  issuerUrl: string;
  /** Required `aud` of the access tokens (the embedded issuer uses `fedops-api`). */
  audience: string;
  /** Required JWT `typ` header. Default `at+jwt` (RFC 9068); `null` for issuers that type access tokens as plain `JWT`. */
  tokenType?: string | null;
  /** Allowed clock skew for `exp`/`nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** Least time between two JWKS fetches prompted by unknown key ids. Default 30 s. */
  jwksCooldownMs?: number;
  /** Claim names of roles and org, for issuers that cannot emit `roles`/`org`. */
  claimNames?: Partial<ClaimNames>;
}
