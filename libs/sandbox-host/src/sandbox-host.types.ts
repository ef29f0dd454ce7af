/** A sandbox machine: a network namespace with its own address, an sshd on port 22 and a root folder. */
export interface SandboxHost {
  /** What the host was asked for by: a tenant id or a VM id. */
  label: string;
  /** Network namespace name (`<prefix>-<8 hex>`), also the host end of its veth pair. */
  name: string;
  /** The machine's address (namespace end of the veth pair); sshd listens here. */
  address: string;
  /** The host end of the veth pair: how processes on the machine reach services on the real host. */
  hostAddress: string;
  sshPort: 22;
  sshUser: 'root';
  /** sshd's public host key line, `ssh-ed25519 AAAA...`; clients must pin it. */
  hostKey: string;
  /** The machine's own filesystem root (contains etc/, var/lib/, run/). */
  rootDir: string;
  /** ISO 8601. */
  createdAt: string;
}

/** A host from the state file with whether its namespace currently exists (it vanishes on host reboot). */
export interface ListedSandboxHost extends SandboxHost {
  namespacePresent: boolean;
}

export interface SandboxHostManagerOptions {
  /** Where state.json, the lock file and `hosts/<name>/` live, e.g. /var/lib/fedops/sandbox. Absolute. */
  stateDir: string;
  /** 1-6 lowercase letters/digits, e.g. `fo`, or `fot` in tests: namespaces and veths are named from it. */
  namePrefix: string;
  /** IPv4 range cut into /30 blocks; default 10.213.0.0/16. */
  subnet?: string;
  /**
   * Public key lines allowed to log in as root on hosts made without their own identity. May be
   * empty: then every `ensureHost` must pass a `HostIdentity` with at least one key.
   */
  authorizedKeys: string[];
  /** How long to wait for sshd to accept SSH connections (default 15 s). */
  sshdStartTimeoutMs?: number;
  /** The sshd binary, an absolute path (default /usr/sbin/sshd). */
  sshdPath?: string;
  /** How long to wait for another process holding the state or network lock (default 120 s). */
  lockTimeoutMs?: number;
  /**
   * Machine-wide lock serialising address allocation across state dirs that share a subnet
   * (default /run/lock/fedops-sandbox-host.lock).
   */
  networkLockFile?: string;
}

/**
 * A host's own identity, given to `ensureHost` when it is created (a simulated VM's cloud-init, a
 * sandbox machine whose host key the platform made). Applied only when the host is created: an
 * existing host keeps the identity it was made with (it is never re-keyed), across repairs too.
 */
export interface HostIdentity {
  /**
   * The lines the host's authorized_keys holds, instead of the manager's `authorizedKeys` option;
   * recorded in the state file so repairs keep them. Empty: the manager's option applies.
   */
  authorizedKeys: string[];
  /**
   * An unencrypted OpenSSH ed25519 private key (`ssh-keygen -t ed25519` output) installed as the
   * host key instead of a generated one. Not recorded (only its public line is), so a repair that
   * finds the key file gone installs it again only when it is passed again.
   */
  hostPrivateKey?: string;
}
