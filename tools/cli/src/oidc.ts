import { ExitCode } from './exit-codes';
import { CliError, InterruptedError, NetworkError } from './errors';
import type { Io } from './io';

/** The parts of an issuer's discovery document (OpenID Connect Discovery, RFC 8414) used here. */
export interface IssuerMetadata {
  issuer: string;
  token_endpoint: string;
  /** RFC 8628; absent when the issuer has no device flow. */
  device_authorization_endpoint?: string;
  grant_types_supported?: string[];
}

export interface TokenSet {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
}

/** RFC 8628 section 3.2. */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

type Http = Pick<Io, 'fetch' | 'interrupted'>;

/** An OAuth error answer (`{error, error_description}`) or an issuer that misbehaves: not logged in. */
export class OAuthError extends CliError {
  constructor(
    message: string,
    readonly error?: string,
    hints: readonly string[] = [],
  ) {
    super(message, ExitCode.Auth, hints);
    this.name = 'OAuthError';
  }
}

async function call(
  http: Http,
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; json: unknown }> {
  let res: Response;
  let text: string;
  try {
    res = await http.fetch(url, {
      ...init,
      headers: { accept: 'application/json', ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.any([http.interrupted, AbortSignal.timeout(30_000)]),
    });
    text = await res.text();
  } catch (err) {
    if (http.interrupted.aborted) throw new InterruptedError();
    throw new NetworkError(new URL(url).origin, err);
  }
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

/**
 * The issuer's discovery document: `/.well-known/openid-configuration` under the issuer, else the
 * RFC 8414 `/.well-known/oauth-authorization-server` document.
 */
export async function discoverIssuer(http: Http, issuerUrl: string): Promise<IssuerMetadata> {
  const base = issuerUrl.replace(/\/+$/, '');
  const origin = new URL(base).origin;
  const path = base.slice(origin.length);
  const candidates = [
    `${base}/.well-known/openid-configuration`,
    `${origin}/.well-known/oauth-authorization-server${path}`,
  ];
  for (const url of candidates) {
    const { status, json } = await call(http, url);
    if (status !== 200 || typeof json !== 'object' || json === null) continue;
    const meta = json as Partial<IssuerMetadata>;
    if (typeof meta.token_endpoint !== 'string') {
      throw new OAuthError(`the discovery document at ${url} has no token_endpoint`);
    }
    return { ...meta, issuer: typeof meta.issuer === 'string' ? meta.issuer : base } as IssuerMetadata;
  }
  throw new OAuthError(
    `${base} is not an OpenID Connect or OAuth issuer: no discovery document at ${candidates[0]}`,
  );
}

/**
 * The issuer the API trusts, if the API publishes its OAuth protected resource metadata (RFC 9728,
 * `/.well-known/oauth-protected-resource`). Undefined when it does not (tenant-api does, since it names the issuer it trusts).
 */
export async function issuerOfApi(http: Http, apiUrl: string): Promise<string | undefined> {
  try {
    const { status, json } = await call(
      http,
      `${apiUrl.replace(/\/+$/, '')}/.well-known/oauth-protected-resource`,
    );
    const servers = (json as { authorization_servers?: unknown } | undefined)?.authorization_servers;
    if (status !== 200 || !Array.isArray(servers) || typeof servers[0] !== 'string') return undefined;
    return servers[0];
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    return undefined;
  }
}

async function tokenRequest(
  http: Http,
  meta: IssuerMetadata,
  form: Record<string, string>,
  basicAuth?: { id: string; secret: string },
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basicAuth !== undefined) {
    // RFC 6749 section 2.3.1: client id and secret form-urlencoded, then Basic.
    const id = encodeURIComponent(basicAuth.id);
    const secret = encodeURIComponent(basicAuth.secret);
    headers['authorization'] = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  }
  return call(http, meta.token_endpoint, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
  });
}

function tokenSet(status: number, json: unknown, what: string): TokenSet {
  const body = (json ?? {}) as Partial<TokenSet> & { error?: string; error_description?: string };
  if (status === 200 && typeof body.access_token === 'string') return body as TokenSet;
  if (typeof body.error === 'string') {
    throw new OAuthError(
      `${what} was refused: ${body.error}${body.error_description === undefined ? '' : ` (${body.error_description})`}`,
      body.error,
    );
  }
  throw new OAuthError(`${what} failed: the token endpoint answered ${status} without a token`);
}

/** OAuth 2.0 client credentials grant (RFC 6749 section 4.4), client_secret_basic. */
export async function clientCredentialsToken(
  http: Http,
  meta: IssuerMetadata,
  client: { id: string; secret: string },
  scope?: string,
): Promise<TokenSet> {
  const { status, json } = await tokenRequest(
    http,
    meta,
    { grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) },
    client,
  );
  return tokenSet(status, json, `the client credentials grant for ${client.id}`);
}

/** A new access token for a refresh token (RFC 6749 section 6). */
export async function refreshAccessToken(
  http: Http,
  meta: IssuerMetadata,
  clientId: string,
  refreshToken: string,
): Promise<TokenSet> {
  const { status, json } = await tokenRequest(http, meta, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
  });
  return tokenSet(status, json, 'renewing the token');
}

/** RFC 8628 section 3.1: asks the issuer for a device code and the code the user confirms. */
export async function startDeviceAuthorization(
  http: Http,
  meta: IssuerMetadata,
  clientId: string,
  scope?: string,
): Promise<DeviceAuthorization> {
  if (meta.device_authorization_endpoint === undefined) {
    throw new OAuthError(`the issuer ${meta.issuer} has no device flow (no device_authorization_endpoint)`);
  }
  const { status, json } = await call(http, meta.device_authorization_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, ...(scope === undefined ? {} : { scope }) }).toString(),
  });
  const body = (json ?? {}) as Partial<DeviceAuthorization> & { error?: string; error_description?: string };
  if (
    status !== 200 ||
    typeof body.device_code !== 'string' ||
    typeof body.user_code !== 'string' ||
    typeof body.verification_uri !== 'string'
  ) {
    const why =
      typeof body.error === 'string'
        ? `${body.error} ${body.error_description ?? ''}`.trim()
        : `HTTP ${status}`;
    throw new OAuthError(
      `the device authorization request for client ${clientId} was refused: ${why}`,
      body.error,
    );
  }
  return { expires_in: 600, ...body } as DeviceAuthorization;
}

/**
 * RFC 8628 section 3.4-3.5: polls the token endpoint until the user approved the code (a token),
 * denied it or let it expire (an OAuthError). `authorization_pending` waits the interval (5 s unless
 * the issuer said), `slow_down` adds 5 s to it for good.
 */
export async function pollDeviceToken(
  io: Pick<Io, 'fetch' | 'interrupted' | 'now' | 'sleep'>,
  meta: IssuerMetadata,
  clientId: string,
  device: DeviceAuthorization,
): Promise<TokenSet> {
  let interval = (device.interval ?? 5) * 1000;
  const deadline = io.now() + device.expires_in * 1000;
  for (;;) {
    try {
      await io.sleep(interval, io.interrupted);
    } catch {
      throw new InterruptedError();
    }
    const { status, json } = await tokenRequest(io, meta, {
      grant_type: DEVICE_CODE_GRANT,
      device_code: device.device_code,
      client_id: clientId,
    });
    const error = (json as { error?: unknown } | undefined)?.error;
    if (error === 'authorization_pending' || error === 'slow_down') {
      if (error === 'slow_down') interval += 5000;
      if (io.now() >= deadline)
        throw new OAuthError('the code expired before it was confirmed', 'expired_token');
      continue;
    }
    if (error === 'access_denied') throw new OAuthError('the login was denied', 'access_denied');
    if (error === 'expired_token')
      throw new OAuthError('the code expired before it was confirmed', 'expired_token');
    return tokenSet(status, json, 'the device flow');
  }
}
