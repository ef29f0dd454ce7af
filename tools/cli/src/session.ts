import { ApiClient } from './api-client';
import { readConfig, writeConfig, type ConfigFile, type Profile } from './config';
import { ExitCode } from './exit-codes';
import { CliError, UsageError } from './errors';
import type { Io } from './io';
import { tokenExpired, tokenExpiry } from './jwt';
import { clientCredentialsToken, discoverIssuer, refreshAccessToken } from './oidc';

/** The config file, read once per command and re-read before every write (another fedops may have written it). */
export class ConfigStore {
  private cached: ConfigFile | undefined;

  constructor(
    readonly path: string,
    private readonly warn: (message: string) => void,
  ) {}

  async read(): Promise<ConfigFile> {
    this.cached ??= await readConfig(this.path, this.warn);
    return this.cached;
  }

  async profile(name: string): Promise<Profile> {
    return (await this.read()).profiles[name] ?? {};
  }

  /** Changes one profile (undefined removes it) and writes the file. */
  async updateProfile(name: string, change: (profile: Profile) => Profile | undefined): Promise<void> {
    const fresh = await readConfig(this.path, () => undefined);
    const next = change(fresh.profiles[name] ?? {});
    const profiles = { ...fresh.profiles };
    if (next === undefined) delete profiles[name];
    else profiles[name] = next;
    this.cached = { profiles };
    await writeConfig(this.path, this.cached);
  }
}

export interface Session {
  url: string;
  profileName: string;
  token?: string;
  /** Where the token came from. */
  tokenSource?: 'FEDOPS_TOKEN' | 'profile';
  api: ApiClient;
}

export interface SessionOptions {
  io: Io;
  profileName: string;
  /** `--url`. */
  urlFlag?: string;
  store: ConfigStore;
  userAgent: string;
  notice: (message: string) => void;
}

/** An http(s) URL without a trailing slash, or a usage error naming where it came from. */
export function normaliseUrl(raw: string, from: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${from} is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${from} must be an http or https URL: "${raw}"`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The server URL in use: `--url`, else FEDOPS_URL, else the profile's; undefined when none is set. */
export function serverUrl(
  options: Pick<SessionOptions, 'io' | 'urlFlag'>,
  profile: Profile,
): string | undefined {
  if (options.urlFlag !== undefined) return normaliseUrl(options.urlFlag, '--url');
  const fromEnv = options.io.env['FEDOPS_URL'];
  if (fromEnv !== undefined && fromEnv !== '') return normaliseUrl(fromEnv, 'FEDOPS_URL');
  return profile.url === undefined ? undefined : normaliseUrl(profile.url, `the profile's url`);
}

/**
 * The server and token for a command: the URL from `--url`, FEDOPS_URL or the profile; the token
 * from FEDOPS_TOKEN or the profile. A profile's token is only ever sent to that profile's server. An
 * expired JWT of the profile is renewed first when that can be done without asking (a refresh token
 * from the device flow; client credentials with FEDOPS_CLIENT_SECRET set).
 */
export async function openSession(options: SessionOptions): Promise<Session> {
  const { io, profileName, store } = options;
  let profile = await store.profile(profileName);
  const url = serverUrl(options, profile);
  if (url === undefined) {
    throw new UsageError(
      `no server: run \`fedops login --url <api-url>\`, or pass --url or set FEDOPS_URL (profile "${profileName}")`,
    );
  }
  const envToken = io.env['FEDOPS_TOKEN'];
  let token: string | undefined;
  let tokenSource: Session['tokenSource'];
  const profileMatches = profile.url === undefined || normaliseUrl(profile.url, 'url') === url;
  if (envToken !== undefined && envToken !== '') {
    token = envToken.trim();
    tokenSource = 'FEDOPS_TOKEN';
  } else if (profile.token !== undefined && profileMatches) {
    if (tokenExpired(profile.token, io.now())) profile = await renew(options, profile);
    token = profile.token;
    tokenSource = 'profile';
  }
  const authHints = (): string[] => {
    if (token === undefined) {
      const other =
        profile.token !== undefined && !profileMatches
          ? [`profile "${profileName}" holds a token for ${profile.url ?? '?'}, not for ${url}`]
          : [];
      return [...other, `not logged in: run \`fedops login --url ${url}\` or set FEDOPS_TOKEN`];
    }
    const expiry = tokenExpiry(token);
    if (expiry !== undefined && expiry <= io.now()) {
      return [`the token expired at ${new Date(expiry).toISOString()}; run \`fedops login\` for a new one`];
    }
    return tokenSource === 'FEDOPS_TOKEN'
      ? ["the server refused FEDOPS_TOKEN; set a valid one, or unset it to use the profile's"]
      : [`the server refused the token of profile "${profileName}"; run \`fedops login\` for a new one`];
  };
  const api = new ApiClient({
    baseUrl: url,
    ...(token === undefined ? {} : { token }),
    io,
    userAgent: options.userAgent,
    notice: options.notice,
    authHints,
  });
  return {
    url,
    profileName,
    ...(token === undefined ? {} : { token }),
    ...(tokenSource === undefined ? {} : { tokenSource }),
    api,
  };
}

/** Renews an expired profile token when possible without asking; otherwise returns the profile unchanged. */
async function renew(options: SessionOptions, profile: Profile): Promise<Profile> {
  const { io } = options;
  const secret = io.env['FEDOPS_CLIENT_SECRET'];
  const canRefresh = profile.grant === 'device_code' && profile.refreshToken !== undefined;
  const canReissue = profile.grant === 'client_credentials' && secret !== undefined && secret !== '';
  if (profile.issuer === undefined || profile.clientId === undefined || !(canRefresh || canReissue))
    return profile;
  const clientId = profile.clientId;
  try {
    const meta = await discoverIssuer(io, profile.issuer);
    const tokens = canRefresh
      ? await refreshAccessToken(io, meta, clientId, profile.refreshToken as string)
      : await clientCredentialsToken(io, meta, { id: clientId, secret: secret as string });
    const renewed: Profile = {
      ...profile,
      token: tokens.access_token,
      ...(tokens.refresh_token === undefined ? {} : { refreshToken: tokens.refresh_token }),
    };
    await options.store.updateProfile(options.profileName, () => renewed);
    options.notice(`renewed the expired token of profile "${options.profileName}"`);
    return renewed;
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode === ExitCode.Interrupted) throw err;
    throw new CliError(
      `the token of profile "${options.profileName}" expired and could not be renewed: ${err.message}`,
      ExitCode.Auth,
      ['run `fedops login` again'],
    );
  }
}
