export const SSHD_PATH = '/usr/sbin/sshd';
export const SSH_PORT = 22;

export interface SshdInvocation {
  namespace: string;
  listenAddress: string;
  hostKeyFile: string;
  authorizedKeysFile: string;
  pidFile: string;
  logFile: string;
  /** Exported to every session as FEDOPS_SANDBOX_ROOT, so tools on the machine can find its root folder. */
  rootDir: string;
  /** The sshd binary, absolute (sshd re-executes itself by its path); default SSHD_PATH. */
  sshdPath?: string;
}

/**
 * Arguments for `ip` that start sshd inside the namespace. `-f /dev/null` ignores the host's
 * sshd_config, so every setting is explicit here. sshd (without -D) daemonises: it outlives the caller.
 */
export function buildSshdCommand(inv: SshdInvocation): { command: 'ip'; args: string[] } {
  for (const [key, value] of Object.entries(inv)) {
    if (/[\s"'\\]/.test(value))
      throw new Error(`sshd ${key} must not contain whitespace or quotes: "${value}"`);
  }
  const options = [
    `AuthorizedKeysFile=${inv.authorizedKeysFile}`,
    `ListenAddress=${inv.listenAddress}`,
    `PidFile=${inv.pidFile}`,
    'PermitRootLogin=prohibit-password',
    'PasswordAuthentication=no',
    'KbdInteractiveAuthentication=no',
    'StrictModes=no',
    'UsePAM=no',
    `Port=${SSH_PORT}`,
    // Without a config file sshd has no SFTP subsystem; scp (SFTP protocol by default) and ssh2's sftp need it.
    'Subsystem=sftp internal-sftp',
    `SetEnv=FEDOPS_SANDBOX_ROOT=${inv.rootDir}`,
  ];
  return {
    command: 'ip',
    args: [
      'netns',
      'exec',
      inv.namespace,
      inv.sshdPath ?? SSHD_PATH,
      '-f',
      '/dev/null',
      '-h',
      inv.hostKeyFile,
      '-E',
      inv.logFile,
      ...options.flatMap((option) => ['-o', option]),
    ],
  };
}
