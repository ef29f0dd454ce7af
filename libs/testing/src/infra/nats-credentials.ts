import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  NATS_ADMIN_USER,
  NATS_SERVICE_USERS,
  natsUsers,
  renderNatsAuthConfig,
  type NatsServiceUser,
} from './nats.config';
import type { NatsCredentials } from './types';

export interface NatsUsersCredentials {
  readonly admin: NatsCredentials;
  readonly services: Readonly<Record<NatsServiceUser, NatsCredentials>>;
}

const CREDENTIALS_FILE = 'credentials.json';

/** 24 random bytes as hex: letters and digits only, nothing to quote in a config file. */
const newPassword = (): string => randomBytes(24).toString('hex');

/** Fresh credentials for the admin and every service (a container, which keeps no data dir). */
export function generateNatsCredentials(): NatsUsersCredentials {
  return fillIn({});
}

/**
 * The admin's and every service's NATS password, generated on the first start and kept in
 * `<dataDir>/credentials.json` (mode 0600), so a restart (and every later `npm start`) uses the same.
 * A user missing from the file (a service added since) gets a password; the others keep theirs.
 */
export async function ensureNatsCredentials(dataDir: string): Promise<NatsUsersCredentials> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, CREDENTIALS_FILE);
  const saved = await readSaved(file);
  const credentials = fillIn(saved);
  if ([NATS_ADMIN_USER, ...NATS_SERVICE_USERS].some((user) => saved[user] === undefined)) {
    await writeFile(file, `${JSON.stringify(passwordsOf(credentials), null, 2)}\n`, { mode: 0o600 });
  }
  // writeFile's mode applies only to a new file.
  await chmod(file, 0o600);
  return credentials;
}

function fillIn(saved: Readonly<Record<string, string>>): NatsUsersCredentials {
  const credentialsOf = (user: string): NatsCredentials => ({ user, password: saved[user] ?? newPassword() });
  const services = {} as Record<NatsServiceUser, NatsCredentials>;
  for (const user of NATS_SERVICE_USERS) services[user] = credentialsOf(user);
  return { admin: credentialsOf(NATS_ADMIN_USER), services };
}

function passwordsOf(credentials: NatsUsersCredentials): Record<string, string> {
  const passwords: Record<string, string> = { [credentials.admin.user]: credentials.admin.password };
  for (const { user, password } of Object.values(credentials.services)) passwords[user] = password;
  return passwords;
}

async function readSaved(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    throw new Error(`${file} is not valid JSON: fix or delete it (new passwords are then generated)`, {
      cause: error,
    });
  }
  const saved: Record<string, string> = {};
  if (typeof parsed === 'object' && parsed !== null) {
    for (const [user, password] of Object.entries(parsed)) {
      if (typeof password === 'string' && password !== '') saved[user] = password;
    }
  }
  return saved;
}

/** Pure: the harness's config file, the users of nats.config.ts with these passwords. */
export function renderHarnessNatsAuthConfig(credentials: NatsUsersCredentials): string {
  const passwords = new Map<string, string>(
    [credentials.admin, ...Object.values(credentials.services)].map((c) => [c.user, c.password]),
  );
  return renderNatsAuthConfig(
    natsUsers((user) => {
      const value = passwords.get(user);
      if (value === undefined) throw new Error(`No NATS password for ${user}`);
      return { value };
    }),
    ['Written by @fedops/testing on every start (nats.config.ts, credentials.json).'],
  );
}
