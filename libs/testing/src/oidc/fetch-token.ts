import {
  ClientSecretBasic,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
  allowInsecureRequests,
  clientCredentialsGrant,
  discovery,
} from 'openid-client';
import type { OidcClientCredentials } from './oidc-issuer';

/**
 * An access token for `client` by the client_credentials grant (openid-client, client_secret_basic).
 * The embedded issuer defaults the resource to the fedops API, so the token is a JWT with
 * `aud: fedops-api`; pass `resource` to ask another issuer for a specific resource.
 */
export async function fetchToken(
  issuerUrl: string,
  client: OidcClientCredentials,
  options: { resource?: string } = {},
): Promise<string> {
  const server = new URL(issuerUrl);
  const configuration = await discovery(
    server,
    client.clientId,
    undefined,
    ClientSecretBasic(client.clientSecret),
    // The embedded issuer listens on plain http on loopback.
    server.protocol === 'http:' ? { execute: [allowInsecureRequests] } : {},
  );
  const tokens = await clientCredentialsGrant(
    configuration,
    options.resource === undefined ? {} : { resource: options.resource },
  ).catch((err: unknown) => {
    throw new Error(`${issuerUrl} refused a token to ${client.clientId}: ${oauthError(err)}`, { cause: err });
  });
  if (typeof tokens.access_token !== 'string' || tokens.access_token === '')
    throw new Error(`${issuerUrl} returned no access_token for ${client.clientId}`);
  return tokens.access_token;
}

/** The OAuth error code (and description) of a refused token request, from its body or its challenge. */
function oauthError(err: unknown): string {
  if (err instanceof ResponseBodyError)
    return err.error + (err.error_description === undefined ? '' : ` (${err.error_description})`);
  if (err instanceof WWWAuthenticateChallengeError) {
    const parameters = err.cause[0]?.parameters;
    if (parameters?.error !== undefined)
      return (
        parameters.error +
        (parameters.error_description === undefined ? '' : ` (${parameters.error_description})`)
      );
  }
  return err instanceof Error ? err.message : String(err);
}
