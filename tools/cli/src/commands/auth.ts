import { ApiClient } from '../api-client';
import { stringValue, type CommandContext, type CommandNode } from '../command';
import type { Profile, TokenGrant } from '../config';
import { ExitCode } from '../exit-codes';
import { ApiError, CliError } from '../errors';
import { decodeJwtClaims, tokenExpiry } from '../jwt';
import {
  OAuthError,
  clientCredentialsToken,
  discoverIssuer,
  issuerOfApi,
  pollDeviceToken,
  startDeviceAuthorization,
  type TokenSet,
} from '../oidc';
import { notice, print, printJsonValue } from '../output';
import { serverUrl } from '../session';
import { duration, renderFields } from '../table';
import { USER_AGENT } from '../version';

/** The client the device flow asks for, unless `--client-id` names another (it must be registered at the issuer). */
export const DEFAULT_DEVICE_CLIENT_ID = 'fedops-cli';

interface Login {
  token: string;
  grant: TokenGrant;
  issuer?: string;
  clientId?: string;
  refreshToken?: string;
}

/** Who a token says its holder is, for people: `fedops-operator-acme (roles operator, org acme)`. */
export function describeHolder(token: string): string {
  const claims = decodeJwtClaims(token);
  if (claims === undefined) {
    const apiToken = /^fdo_([0-9a-f]+)_/.exec(token)?.[1];
    return apiToken === undefined ? 'an opaque token' : `API token ${apiToken}`;
  }
  const roles = Array.isArray(claims['roles']) ? claims['roles'].join(', ') : undefined;
  const org = typeof claims['org'] === 'string' ? claims['org'] : undefined;
  const extra = [
    roles === undefined ? undefined : `roles ${roles}`,
    org === undefined ? undefined : `org ${org}`,
  ]
    .filter((s) => s !== undefined)
    .join(', ');
  return `${String(claims['sub'] ?? claims['client_id'] ?? '(no subject)')}${extra === '' ? '' : ` (${extra})`}`;
}

async function tokenLogin(ctx: CommandContext, given: string): Promise<Login> {
  const token = (given === '-' ? await ctx.io.readStdin() : given).trim();
  if (token === '') throw ctx.usage('--token needs a token (or - to read it from stdin)');
  return { token, grant: 'token' };
}

async function oidcLogin(ctx: CommandContext, url: string, profile: Profile): Promise<Login> {
  const issuerUrl = stringValue(ctx, 'issuer') ?? profile.issuer ?? (await issuerOfApi(ctx.io, url));
  const clientCredentials = stringValue(ctx, 'client-credentials');
  const scope = stringValue(ctx, 'scope');
  if (issuerUrl === undefined) {
    throw ctx.usage(
      `which OIDC issuer does ${url} trust? Pass --issuer <url> (with \`npm start\`: http://127.0.0.1:9090), ` +
        'or log in with --token <token>',
    );
  }
  const meta = await discoverIssuer(ctx.io, issuerUrl);
  if (clientCredentials !== undefined) {
    const secret = ctx.io.env['FEDOPS_CLIENT_SECRET'] || (await askSecret(ctx, clientCredentials));
    const tokens = await clientCredentialsToken(ctx.io, meta, { id: clientCredentials, secret }, scope);
    return {
      token: tokens.access_token,
      grant: 'client_credentials',
      issuer: issuerUrl,
      clientId: clientCredentials,
    };
  }
  if (meta.device_authorization_endpoint === undefined) {
    throw new OAuthError(
      `the issuer ${issuerUrl} does not offer the device flow (its discovery document has no device_authorization_endpoint)`,
      undefined,
      [
        `log in with a token instead: fedops login --url ${url} --token <token> (or set FEDOPS_TOKEN)`,
        `or with client credentials: FEDOPS_CLIENT_SECRET=<secret> fedops login --url ${url} --issuer ${issuerUrl} --client-credentials <client-id>`,
      ],
    );
  }
  const clientId = stringValue(ctx, 'client-id') ?? DEFAULT_DEVICE_CLIENT_ID;
  const device = await startDeviceAuthorization(ctx.io, meta, clientId, scope);
  const direct = device.verification_uri_complete;
  notice(
    ctx,
    [
      `To log in, open ${direct ?? device.verification_uri}`,
      `${direct === undefined ? 'and enter' : 'and check that it shows'} the code: ${device.user_code}`,
      `(it expires in ${duration(device.expires_in * 1000)}). Waiting for you to confirm...`,
    ].join('\n'),
  );
  const tokens: TokenSet = await pollDeviceToken(ctx.io, meta, clientId, device);
  return {
    token: tokens.access_token,
    grant: 'device_code',
    issuer: issuerUrl,
    clientId,
    ...(tokens.refresh_token === undefined ? {} : { refreshToken: tokens.refresh_token }),
  };
}

async function askSecret(ctx: CommandContext, clientId: string): Promise<string> {
  if (!ctx.io.interactive) {
    throw ctx.usage(
      `set FEDOPS_CLIENT_SECRET to the secret of ${clientId} (stdin is not a terminal to ask on)`,
    );
  }
  const secret = (await ctx.io.prompt(`Client secret of ${clientId}: `, { secret: true })).trim();
  if (secret === '') throw ctx.usage('no client secret given');
  return secret;
}

/** Checks the token against the server before keeping it: refused (401) is an error, 403 only a warning. */
async function verify(ctx: CommandContext, url: string, token: string): Promise<void> {
  const api = new ApiClient({
    baseUrl: url,
    token,
    io: ctx.io,
    userAgent: USER_AGENT,
    notice: (m) => notice(ctx, m),
  });
  try {
    await api.get('/v1/apps');
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) {
      notice(ctx, `warning: the token is valid but may do little here: ${err.message}`);
      return;
    }
    if (err instanceof ApiError && err.status === 401) {
      throw new CliError(`${url} refused the token, so it was not saved: ${err.message}`, ExitCode.Auth);
    }
    throw err;
  }
}

const login: CommandNode = {
  name: 'login',
  summary: 'Log in to a fedops server and keep the token in the config file',
  description:
    'Log in to a fedops API server and keep the token in the profile (config file, mode 0600). Three ways:\n' +
    '  --token <token>              any bearer token: an API token or an OIDC access token (- reads stdin)\n' +
    '  --client-credentials <id>    OAuth client credentials at the issuer; the secret from\n' +
    '                               FEDOPS_CLIENT_SECRET, else asked for\n' +
    '  (neither)                    the OAuth device flow (RFC 8628), if the issuer offers it\n' +
    'The token is checked against the server before it is kept.',
  options: {
    token: {
      type: 'string',
      value: '<token>',
      description: 'log in with this bearer token (- reads it from stdin)',
    },
    issuer: {
      type: 'string',
      value: '<url>',
      description: "the OIDC issuer the server trusts (else the profile's, else what the server advertises)",
    },
    'client-credentials': {
      type: 'string',
      value: '<client-id>',
      description:
        'get a token by client credentials for this client (secret: FEDOPS_CLIENT_SECRET or a prompt)',
    },
    'client-id': {
      type: 'string',
      value: '<client-id>',
      description: `the client for the device flow (default ${DEFAULT_DEVICE_CLIENT_ID})`,
    },
    scope: {
      type: 'string',
      value: '<scope>',
      description: "the OAuth scope to ask for (default: none, the issuer's)",
    },
  },
  examples: [
    'fedops login --url https://api.fedops.example --issuer https://id.example',
    'FEDOPS_CLIENT_SECRET=... fedops login --url http://127.0.0.1:8080 --issuer http://127.0.0.1:9090 --client-credentials fedops-operator-acme',
    'fedops login --url http://127.0.0.1:8080 --token - < token.txt',
  ],
  run: async (ctx) => {
    const given = stringValue(ctx, 'token');
    if (given !== undefined && stringValue(ctx, 'client-credentials') !== undefined) {
      throw ctx.usage('--token and --client-credentials do not go together');
    }
    const profile = await ctx.config.profile(ctx.profileName);
    const url = serverUrl({ io: ctx.io, urlFlag: stringValue(ctx, 'url') }, profile);
    if (url === undefined) throw ctx.usage('login needs --url <api-url> (or FEDOPS_URL)');
    // The profile's issuer only counts for the profile's own server.
    const sameServer = profile.url === undefined || profile.url.replace(/\/+$/, '') === url;
    const result =
      given !== undefined
        ? await tokenLogin(ctx, given)
        : await oidcLogin(ctx, url, sameServer ? profile : {});
    await verify(ctx, url, result.token);
    await ctx.config.updateProfile(ctx.profileName, () => ({ url, ...result }));
    if (ctx.json) {
      printJsonValue(ctx, {
        url,
        profile: ctx.profileName,
        grant: result.grant,
        claims: decodeJwtClaims(result.token) ?? null,
      });
    } else {
      print(ctx, `Logged in to ${url} as ${describeHolder(result.token)}; profile "${ctx.profileName}".`);
    }
  },
};

const logout: CommandNode = {
  name: 'logout',
  summary: "Forget the profile's token (the server URL stays)",
  run: async (ctx) => {
    const profile = await ctx.config.profile(ctx.profileName);
    if (profile.token === undefined) {
      print(ctx, `Not logged in (profile "${ctx.profileName}").`);
      return;
    }
    await ctx.config.updateProfile(
      ctx.profileName,
      ({ token: _t, refreshToken: _r, grant: _g, ...rest }) => rest,
    );
    print(
      ctx,
      `Logged out of ${profile.url ?? '?'} (profile "${ctx.profileName}"). The token itself stays valid until it expires.`,
    );
  },
};

const whoami: CommandNode = {
  name: 'whoami',
  summary: 'Show the server and what the token says about you (decoded locally, not verified)',
  run: async (ctx) => {
    const session = await ctx.session();
    if (session.token === undefined) {
      throw new CliError(`not logged in to ${session.url}`, ExitCode.Auth, [
        `run \`fedops login --url ${session.url}\` or set FEDOPS_TOKEN`,
      ]);
    }
    const claims = decodeJwtClaims(session.token);
    const source =
      session.tokenSource === 'FEDOPS_TOKEN' ? 'FEDOPS_TOKEN' : `profile "${session.profileName}"`;
    if (ctx.json) {
      printJsonValue(ctx, {
        url: session.url,
        profile: session.profileName,
        tokenFrom: source,
        claims: claims ?? null,
      });
      return;
    }
    const expiry = tokenExpiry(session.token);
    const now = ctx.io.now();
    const str = (v: unknown): string | undefined =>
      v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : String(v);
    print(
      ctx,
      renderFields([
        ['Server', session.url],
        ['Token from', source],
        [
          'Token',
          claims === undefined ? `${describeHolder(session.token)} (its claims cannot be read here)` : 'JWT',
        ],
        ['Subject', str(claims?.['sub'])],
        ['Client', str(claims?.['client_id'])],
        ['Roles', str(claims?.['roles'])],
        ['Org', str(claims?.['org'])],
        ['Scope', str(claims?.['scope'])],
        ['Issuer', str(claims?.['iss'])],
        ['Audience', str(claims?.['aud'])],
        [
          'Expires',
          expiry === undefined
            ? undefined
            : `${new Date(expiry).toISOString()} (${expiry > now ? `in ${duration(expiry - now)}` : `${duration(now - expiry)} ago: expired`})`,
        ],
      ]),
    );
  },
};

export const authCommands: readonly CommandNode[] = [login, logout, whoami];
