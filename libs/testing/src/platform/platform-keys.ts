import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
