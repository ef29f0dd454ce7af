import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Files of one sandbox host under `<stateDir>/hosts/<name>/`. */
export interface HostLayout {
  hostDir: string;
  rootDir: string;
  hostKeyFile: string;
  hostPublicKeyFile: string;
  authorizedKeysFile: string;
  pidFile: string;
  logFile: string;
}

export function hostLayout(stateDir: string, name: string): HostLayout {
  const hostDir = join(stateDir, 'hosts', name);
  return {
    hostDir,
    rootDir: join(hostDir, 'root'),
    hostKeyFile: join(hostDir, 'ssh_host_ed25519_key'),
    hostPublicKeyFile: join(hostDir, 'ssh_host_ed25519_key.pub'),
    authorizedKeysFile: join(hostDir, 'authorized_keys'),
    pidFile: join(hostDir, 'sshd.pid'),
    logFile: join(hostDir, 'sshd.log'),
  };
}

/** Folders created inside a host's root folder, so it looks like the top of a machine's filesystem. */
export const ROOT_SUBDIRS = ['etc', 'var/lib', 'run'] as const;

/**
 * Lock file held while one label is created, repaired or destroyed. Named by a hash so any label is a
 * safe file name; two labels sharing a hash would only wait for each other. Kept after destroy: deleting
 * a lock file that another process may have open would let two holders in.
 */
export function labelLockFile(stateDir: string, label: string): string {
  return join(stateDir, 'locks', `${createHash('sha256').update(label).digest('hex').slice(0, 16)}.lock`);
}
