export const RESOURCE_PROVIDER_KINDS = ['sandbox'] as const;
export type ResourceProviderKind = (typeof RESOURCE_PROVIDER_KINDS)[number];

/** How a machine gets its configuration activated: real NixOS, or the sandbox stand-in. */
export type ActivationKind = 'nixos-rebuild' | 'sandbox-standin';

/** Everything another service needs to reach a machine: address, SSH with a pinned host key, file root. */
export interface MachineRef {
  machineId: string;
  tenantId: string;
  provider: ResourceProviderKind;
  address: string;
  sshPort: number;
  sshUser: string;
  /** The host's public key line, e.g. `ssh-ed25519 AAAA...`; connections must match it. */
  sshHostKey: string;
  /** Prefix of the machine's own filesystem: `/` on a VM, the machine's root folder on a sandbox host. */
  fsRoot: string;
  activation: ActivationKind;
}
