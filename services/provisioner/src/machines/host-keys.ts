import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fedops/sandbox-host';

/**
 * A new ed25519 host key pair for a machine, in OpenSSH format (what cloud-init's `ssh_keys` and sshd
 * take). The platform makes it before the machine exists, so the key is pinned from the first connection.
 */
export async function generateHostKeyPair(
  comment = 'fedops-machine',
): Promise<{ privateKey: string; publicKey: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fedops-hostkey-'));
  try {
    const file = join(dir, 'key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
    const [privateKey, publicKey] = await Promise.all([
      readFile(file, 'utf8'),
      readFile(`${file}.pub`, 'utf8'),
    ]);
    return { privateKey, publicKey: publicKey.trim().split(/\s+/).slice(0, 2).join(' ') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
