// The embedded fedops OpenID Provider: a real oidc-provider instance that issues client_credentials
// access tokens as RFC 9068 JWTs (header typ "at+jwt") for the fedops API.
//
// Token claims: iss, sub (= client_id), aud = "fedops-api", exp, iat, jti, client_id, scope, plus
//   roles  string[]  fedops roles ("ops" | "operator"); the claim name comes from RFC 9068 section 2.2.3.1
//   org    string    the operator's organisation id (only for operators)
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import Provider, { errors } from 'oidc-provider';

import { loadOrCreateClientSecrets, loadOrCreateSigningKeys } from './store.mjs';

/** Resource indicator (RFC 8707) of the fedops API; defaulted when a client sends none. Must be an absolute URI. */
export const FEDOPS_RESOURCE = 'urn:fedops:api';
/** `aud` of every access token. */
export const FEDOPS_AUDIENCE = 'fedops-api';
export const FEDOPS_SCOPE = 'fedops';
export const ROLES = /** @type {const} */ (['ops', 'operator']);

/**
 * @typedef {'ops' | 'operator'} Role
 * @typedef {{ clientId: string, roles: Role[], org?: string }} ClientDefinition
 */

/** @type {ClientDefinition[]} */
export const DEFAULT_CLIENTS = [
  { clientId: 'fedops-ops', roles: ['ops'] },
  { clientId: 'fedops-operator-acme', roles: ['operator'], org: 'acme' },
  { clientId: 'fedops-operator-globex', roles: ['operator'], org: 'globex' },
];

/**
 * Client definitions from a JSON file: `[{ "clientId": "...", "roles": ["operator"], "org": "acme" }]`.
 * Secrets never go in this file; they live in the data dir.
 * @param {string} path
 * @returns {Promise<ClientDefinition[]>}
 */
export async function readClientsFile(path) {
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read clients file ${path}`, { cause: err });
  }
  return validateClients(parsed, path);
}

/**
 * @param {unknown} value
 * @param {string} source for error messages
 * @returns {ClientDefinition[]}
 */
export function validateClients(value, source) {
  if (!Array.isArray(value) || value.length === 0)
    throw new Error(`${source}: expected a non-empty array of clients`);
  const problems = [];
  const seen = new Set();
  const clients = value.map((c, i) => {
    const at = `${source}[${i}]`;
    if (typeof c !== 'object' || c === null) {
      problems.push(`${at}: expected an object`);
      return /** @type {ClientDefinition} */ ({ clientId: '', roles: [] });
    }
    const { clientId, roles, org } = /** @type {Record<string, unknown>} */ (c);
    if (typeof clientId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(clientId))
      problems.push(`${at}.clientId: expected [A-Za-z0-9._-]+`);
    else if (seen.has(clientId)) problems.push(`${at}.clientId: duplicate ${clientId}`);
    else seen.add(clientId);
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => ROLES.includes(r)))
      problems.push(`${at}.roles: expected a non-empty subset of ${ROLES.join(', ')}`);
    if (org !== undefined && (typeof org !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(org)))
      problems.push(`${at}.org: expected a lowercase slug`);
    if (Array.isArray(roles) && roles.includes('operator') && org === undefined)
      problems.push(`${at}.org: required for the operator role`);
    return /** @type {ClientDefinition} */ ({ clientId, roles, ...(org === undefined ? {} : { org }) });
  });
  if (problems.length > 0) throw new Error(`invalid clients:\n  ${problems.join('\n  ')}`);
  return clients;
}

/**
 * Builds the provider: keys and client secrets are loaded from (or created in) dataDir.
 * @param {{ issuerUrl: string, dataDir: string, clients?: ClientDefinition[], accessTokenTtlSeconds?: number }} options
 * @returns {Promise<{ provider: Provider, secrets: Record<string, string> }>}
 */
export async function createIssuer({
  issuerUrl,
  dataDir,
  clients = DEFAULT_CLIENTS,
  accessTokenTtlSeconds = 600,
}) {
  const jwks = await loadOrCreateSigningKeys(dataDir);
  const secrets = await loadOrCreateClientSecrets(
    dataDir,
    clients.map((c) => c.clientId),
  );
  const claimsByClient = new Map(clients.map((c) => [c.clientId, c]));

  const provider = new Provider(issuerUrl, {
    jwks,
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: secrets[c.clientId],
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: FEDOPS_SCOPE,
    })),
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    scopes: [FEDOPS_SCOPE],
    responseTypes: ['none'],
    // Only the token, discovery and JWKS endpoints matter; nothing here renders pages or keeps sessions.
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => FEDOPS_RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (resourceIndicator !== FEDOPS_RESOURCE)
            throw new errors.InvalidTarget(`unknown resource; use ${FEDOPS_RESOURCE}`);
          return {
            scope: FEDOPS_SCOPE,
            audience: FEDOPS_AUDIENCE,
            accessTokenFormat: 'jwt',
            accessTokenTTL: accessTokenTtlSeconds,
          };
        },
      },
    },
    extraTokenClaims: async (_ctx, token) => {
      const client = claimsByClient.get(token.clientId ?? '');
      if (client === undefined) return undefined;
      return { roles: [...client.roles], ...(client.org === undefined ? {} : { org: client.org }) };
    },
    ttl: { ClientCredentials: accessTokenTtlSeconds },
    cookies: { keys: [randomUUID()] },
    // Errors to the client as standard OAuth JSON (no HTML error pages).
    renderError: async (ctx, out) => {
      ctx.type = 'application/json';
      ctx.body = out;
    },
  });
  // Client metadata is validated lazily by oidc-provider; fail at start instead of at the first token request.
  for (const c of clients) await provider.Client.find(c.clientId);
  return { provider, secrets };
}
