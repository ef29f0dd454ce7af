import { Inject, Injectable } from '@nestjs/common';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { Issuer } from 'openid-client';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';
import {
  DEFAULT_CLAIM_NAMES,
  invalidToken,
  principalFromClaims,
  type ClaimNames,
  type Principal,
} from './principal';

/** Only asymmetric algorithms: a token must be signed with a key published in the issuer's JWKS. */
export const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

export interface VerificationRules {
  issuer: string;
  audience: string;
  /** Required `typ` header; RFC 9068 access tokens carry `at+jwt`. `null` accepts any typ. */
  tokenType: string | null;
  clockToleranceSeconds: number;
  claimNames: ClaimNames;
}

/**
 * Verifies one bearer token against a key set: signature, `iss`, `aud`, `exp`/`nbf`, `typ`, then the
 * fedops claims. Client-caused failures become `Unauthenticated` with a short reason; failures to
 * obtain keys (issuer unreachable) are rethrown as `Internal`, since the caller's token is not at fault.
 */
export async function verifyAccessToken(
  token: string,
  keys: JWTVerifyGetKey,
  rules: VerificationRules,
): Promise<Principal> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: rules.issuer,
      audience: rules.audience,
      algorithms: ACCEPTED_ALGORITHMS,
      clockTolerance: rules.clockToleranceSeconds,
      requiredClaims: ['exp', 'sub'],
      ...(rules.tokenType === null ? {} : { typ: rules.tokenType }),
    }));
  } catch (err) {
    const reason = rejectionReason(err, rules.tokenType);
    if (reason === undefined) {
      throw new FedopsError(
        FedopsErrorCode.Internal,
        'Cannot verify access tokens: signing keys unavailable',
        { cause: err },
      );
    }
    throw invalidToken(reason, err);
  }
  return principalFromClaims(payload, rules.claimNames);
}

/**
 * Why jose rejected a token, in words safe to return to the caller (no token content, no keys);
 * `undefined` when the failure is not the token's fault (JWKS fetch failed or timed out).
 */
export function rejectionReason(err: unknown, tokenType: string | null = 'at+jwt'): string | undefined {
  if (err instanceof joseErrors.JWTExpired) return err.claim === 'exp' ? 'token expired' : 'token too old';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `token has no ${err.claim} claim`;
    switch (err.claim) {
      case 'iss':
        return 'issuer mismatch';
      case 'aud':
        return 'audience mismatch';
      case 'nbf':
        return 'token not yet valid';
      case 'iat':
        return 'token issued in the future';
      case 'typ':
        return `token type must be ${tokenType ?? 'a JWT access token'}`;
      default:
        return `token claim ${err.claim} is invalid`;
    }
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (err instanceof joseErrors.JWKSNoMatchingKey)
    return 'token signed by an unknown key (not from the trusted issuer)';
  if (err instanceof joseErrors.JWKSMultipleMatchingKeys) return 'signature verification failed';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'signing algorithm not allowed';
  if (err instanceof joseErrors.JOSENotSupported) return 'token uses an unsupported algorithm or header';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'malformed token';
  return undefined;
}

interface Discovered {
  issuer: string;
  keys: JWTVerifyGetKey;
}

/**
 * Verifies bearer tokens issued by the configured OpenID Provider. The provider is discovered
 * (openid-client `Issuer.discover`) on first use, not at boot, so the API starts while the issuer
 * is still starting; a failed discovery is retried on the next request.
 */
@Injectable()
export class TokenVerifier {
  private discovery: Promise<Discovered> | undefined;

  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {}

  async verify(token: string): Promise<Principal> {
    const { issuer, keys } = await this.discovered();
    return verifyAccessToken(token, keys, {
      issuer,
      audience: this.options.audience,
      tokenType: this.options.tokenType === undefined ? 'at+jwt' : this.options.tokenType,
      clockToleranceSeconds: this.options.clockToleranceSeconds ?? 5,
      claimNames: { ...DEFAULT_CLAIM_NAMES, ...this.options.claimNames },
    });
  }

  private discovered(): Promise<Discovered> {
    this.discovery ??= this.discover().catch((err: unknown) => {
      this.discovery = undefined;
      throw err;
    });
    return this.discovery;
  }

  private async discover(): Promise<Discovered> {
    const { issuerUrl } = this.options;
    let issuer: Issuer;
    try {
      issuer = await Issuer.discover(issuerUrl);
    } catch (err) {
      throw new FedopsError(
        FedopsErrorCode.Internal,
        `Cannot verify access tokens: OIDC discovery of ${issuerUrl} failed`,
        { cause: err },
      );
    }
    const { issuer: identifier, jwks_uri: jwksUri } = issuer.metadata;
    // OpenID Connect Discovery 1.0 section 4.3: the document must name the issuer it was fetched for.
    if (withoutTrailingSlash(identifier) !== withoutTrailingSlash(issuerUrl)) {
      throw new FedopsError(
        FedopsErrorCode.ConfigurationInvalid,
        `OIDC issuer ${issuerUrl} announces itself as ${identifier}`,
      );
    }
    if (typeof jwksUri !== 'string') {
      throw new FedopsError(
        FedopsErrorCode.ConfigurationInvalid,
        `OIDC issuer ${issuerUrl} publishes no jwks_uri`,
      );
    }
    return { issuer: identifier, keys: createRemoteJWKSet(new URL(jwksUri)) };
  }
}

function withoutTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
