import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PlatformSecrets {
  sshPrivateKeyFile: string;
  sshPublicKeyFile: string;
  /** 32 bytes, base64: encrypts secrets at rest (restic passwords, provider credentials). */
  secretKey: string;
}

/** The platform's SSH key pair and secret key, generated on first start and kept in `dir` (mode 0700). */
export async function ensurePlatformSecrets(dir: string): Promise<PlatformSecrets> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const sshPrivateKeyFile = join(dir, 'id_ed25519');
  if (!existsSync(sshPrivateKeyFile)) {
    await run('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'fedops-platform',
      '-f',
      sshPrivateKeyFile,
    ]);
  }
  const keyFile = join(dir, 'secret.key');
  if (!existsSync(keyFile))
    await writeFile(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  return {
    sshPrivateKeyFile,
    sshPublicKeyFile: `${sshPrivateKeyFile}.pub`,
    secretKey: (await readFile(keyFile, 'utf8')).trim(),
  };
}

/**
 * One PostgreSQL password per role, generated on first start and kept in `dir` (mode 0700) as
 * `<role>.password` (mode 0600). To rotate one, write a new password into its file: the platform
 * sets it (ALTER ROLE) on its next start. Returns the passwords by role.
 */
export async function ensureDatabasePasswords(
  dir: string,
  roles: readonly string[],
): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const passwords: Record<string, string> = {};
  for (const role of roles) {
    if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`Invalid role name ${JSON.stringify(role)}`);
    const file = join(dir, `${role}.password`);
    // 'wx': never overwrites, so a password another start wrote at the same moment is kept.
    await writeFile(file, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' }).catch(
      (error: unknown) => {
        // Not `instanceof Error`: errors of Node's fs come from another realm under jest.
        if ((error as { code?: unknown } | null)?.code !== 'EEXIST') throw error;
      },
    );
    await chmod(file, 0o600); // a file edited to rotate the password may have lost its mode
    const password = (await readFile(file, 'utf8')).trim();
    if (password === '')
      throw new Error(`${file} is empty: write a password into it, or delete it for a new one`);
    passwords[role] = password;
  }
  return passwords;
}
