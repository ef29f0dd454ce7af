import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExitCode } from './exit-codes';
import { CliError } from './errors';

/** How a profile's token was obtained, which decides how it can be renewed. */
export type TokenGrant = 'token' | 'device_code' | 'client_credentials';

/** One server and the credentials for it. */
export interface Profile {
  /** The API's base URL, e.g. `http://127.0.0.1:8080`. */
  url?: string;
  /** The bearer token sent to the API. */
  token?: string;
  grant?: TokenGrant;
  /** OIDC issuer and client the token came from (device flow, client credentials). */
  issuer?: string;
  clientId?: string;
  /** From the device flow, when the issuer gave one: renews the token without asking again. */
  refreshToken?: string;
}

export interface ConfigFile {
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = 'default';

/** `$XDG_CONFIG_HOME/fedops/config.json`, by default `~/.config/fedops/config.json`. */
export function configPath(env: Readonly<Record<string, string | undefined>>): string {
  const base =
    env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== ''
      ? env['XDG_CONFIG_HOME']
      : join(env['HOME'] ?? homedir(), '.config');
  return join(base, 'fedops', 'config.json');
}

/** The config file, or an empty one when there is none. A file that is not ours is an error naming it. */
export async function readConfig(path: string, warn: (message: string) => void): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, ExitCode.Failed);
  }
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    warn(`${path} is readable by others (mode ${mode.toString(8)}); it holds tokens: chmod 600 ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not JSON: ${(err as Error).message}`, ExitCode.Failed);
  }
  const profiles = (parsed as { profiles?: unknown } | null)?.profiles;
  if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) {
    throw new CliError(`${path} has no "profiles" object; fix or remove it`, ExitCode.Failed);
  }
  return { profiles: profiles as Record<string, Profile> };
}

/**
 * Writes the config file readable by its owner only (0600, its folder 0700), atomically: a temporary
 * file renamed over the old one, so a crash never leaves half a file.
 */
export async function writeConfig(path: string, config: ConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600); // the umask may have masked the mode, never widened it; be explicit
  await rename(temporary, path);
}

/** Profile names are keys in a file and words on a command line. */
export function validProfileName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name);
}
