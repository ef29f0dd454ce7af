import { Inject, Injectable } from '@nestjs/common';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ClientError, allowInsecureRequests, discovery } from 'openid-client';
import { ExpiringCache } from '../caching/expiring-cache';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';
import {
  DEFAULT_CLAIM_NAMES,
  identityFromClaims,
  invalidToken,
  principalFromClaims,
  type ClaimNames,
  type Principal,
  type TokenIdentity,
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
  return principalFromClaims(await verifiedClaims(token, keys, rules), rules.claimNames);
}

/** The claims of a token that passed every check of `verifyAccessToken` but the fedops claims. */
export async function verifiedClaims(
  token: string,
  keys: JWTVerifyGetKey,
  rules: VerificationRules,
): Promise<Record<string, unknown>> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: rules.issuer,
      audience: rules.audience,
      algorithms: ACCEPTED_ALGORITHMS,
      clockTolerance: rules.clockToleranceSeconds,
      requiredClaims: ['exp', 'sub'],
      ...(rules.tokenType === null ? {} : { typ: rules.tokenType }),
    });
    return payload;
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

/** How often the key set may be fetched again for a token whose key id it lacks. */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;

/**
 * Verifies bearer tokens issued by the configured OpenID Provider. The provider's metadata comes
 * from openid-client's `discovery()` (OpenID Connect Discovery 1.0: the document must name the issuer
 * it was fetched for) on first use, not at boot, so the API starts while the issuer is still
 * starting; a failed discovery is retried on the next request.
 *
 * The access tokens themselves are verified with jose: openid-client 6 is a client (relying party)
 * library and validates ID tokens and token-endpoint responses, but has nothing for a resource
 * server to validate a JWT access token it receives (RFC 9068), beyond token introspection, which
 * would cost the issuer a round trip per request. jose's remote key set caches the JWKS and fetches
 * it again when a token names a key id it does not hold (key rotation), at most once per
 * `jwksCooldownMs`, so tokens with made-up key ids cannot make fedops hammer the issuer.
 */
/** How long a verified token is taken on trust (bounded, so a key withdrawn from the JWKS stops working soon). */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKENS_CACHED = 10_000;

@Injectable()
export class TokenVerifier {
  private discovery: Promise<Discovered> | undefined;
  /**
   * Claims of tokens verified lately, until they expire but at most VERIFIED_TOKEN_TTL_MS: a client
   * sends the same token many times, and checking its signature each time was a tenth of a GET.
   * Keyed by the whole token, so a token differing in one bit is verified afresh.
   */
  private readonly verified = new ExpiringCache<string, Record<string, unknown>>(VERIFIED_TOKENS_CACHED);

  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {}

  /** The principal exactly as the token's claims state it (an operator's token must name its org). */
  async verify(token: string): Promise<Principal> {
    return principalFromClaims(await this.claims(token), this.claimNames());
  }

  /** The caller the token names, for the caller directory to resolve (organisation membership). */
  async verifyIdentity(token: string): Promise<TokenIdentity> {
    return identityFromClaims(await this.claims(token), this.claimNames());
  }

  /** The issuer identifier of the trusted provider, as its discovery document states it. */
  async issuer(): Promise<string> {
    return (await this.discovered()).issuer;
  }

  private async claims(token: string): Promise<Record<string, unknown>> {
    const cached = this.verified.get(token);
    if (cached !== undefined) return cached;
    const { issuer, keys } = await this.discovered();
    const claims = await verifiedClaims(token, keys, {
      issuer,
      audience: this.options.audience,
      tokenType: this.options.tokenType === undefined ? 'at+jwt' : this.options.tokenType,
      clockToleranceSeconds: this.options.clockToleranceSeconds ?? 5,
      claimNames: this.claimNames(),
    });
    const expiresInMs = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 - Date.now() : 0;
    this.verified.set(token, claims, Math.min(expiresInMs, VERIFIED_TOKEN_TTL_MS));
    return claims;
  }

  private claimNames(): ClaimNames {
    return { ...DEFAULT_CLAIM_NAMES, ...this.options.claimNames };
  }

  private discovered(): Promise<Discovered> {
    this.discovery ??= this.discover().catch((err: unknown) => {
      this.discovery = undefined;
      throw err;
    });
    return this.discovery;
  }

  private async discover(): Promise<Discovered> {
    const { issuerUrl, audience } = this.options;
    const server = new URL(issuerUrl);
    let metadata: { issuer: string; jwks_uri?: string };
    try {
      // A resource server is nobody's OAuth client: the client id is a placeholder that only names us.
      const configuration = await discovery(server, audience, undefined, undefined, {
        // Plain http only where the configured issuer is plain http (the embedded issuer on loopback).
        ...(server.protocol === 'http:' ? { execute: [allowInsecureRequests] } : {}),
        timeout: 10,
      });
      metadata = configuration.serverMetadata();
    } catch (err) {
      if (err instanceof ClientError && err.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
        throw new FedopsError(
          FedopsErrorCode.ConfigurationInvalid,
          `OIDC issuer ${issuerUrl} announces itself as another issuer in its discovery document`,
          { cause: err },
        );
      }
      throw new FedopsError(
        FedopsErrorCode.Internal,
        `Cannot verify access tokens: OIDC discovery of ${issuerUrl} failed`,
        { cause: err },
      );
    }
    if (typeof metadata.jwks_uri !== 'string') {
      throw new FedopsError(
        FedopsErrorCode.ConfigurationInvalid,
        `OIDC issuer ${issuerUrl} publishes no jwks_uri`,
      );
    }
    return {
      issuer: metadata.issuer,
      keys: createRemoteJWKSet(new URL(metadata.jwks_uri), {
        cooldownDuration: this.options.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS,
        cacheMaxAge: 10 * 60_000,
        timeoutDuration: 5_000,
      }),
    };
  }
}
