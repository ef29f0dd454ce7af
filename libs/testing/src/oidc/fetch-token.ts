import { Issuer } from 'openid-client';
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
  const issuer = await Issuer.discover(issuerUrl);
  const oidcClient = new issuer.Client({
    client_id: client.clientId,
    client_secret: client.clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
  });
  const tokens = await oidcClient.grant({
    grant_type: 'client_credentials',
    ...(options.resource === undefined ? {} : { resource: options.resource }),
  });
  if (tokens.access_token === undefined)
    throw new Error(`${issuerUrl} returned no access_token for ${client.clientId}`);
  return tokens.access_token;
}
