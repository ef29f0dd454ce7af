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
