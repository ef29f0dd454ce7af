export const RESOURCE_PROVIDER_KINDS = ['sandbox', 'proxmox', 'hetzner', 'digitalocean'] as const;
export type ResourceProviderKind = (typeof RESOURCE_PROVIDER_KINDS)[number];

/** How a machine gets its configuration activated: real NixOS, or the sandbox stand-in. */
export type ActivationKind = 'nixos-rebuild' | 'sandbox-standin';

/** Everything another service needs to reach a machine: address, SSH with a pinned host key, file root. */
export interface MachineRef {
  machineId: string;
  tenantId: string;
  provider: ResourceProviderKind;
  /** The registered provider instance holding it. */
  providerId: string;
  /** Region, location or node. */
  location: string;
  address: string;
  sshPort: number;
  sshUser: string;
  /** The host's public key line, e.g. `ssh-ed25519 AAAA...`; connections must match it. */
  sshHostKey: string;
  /** Prefix of the machine's own filesystem: `/` on a VM, the machine's root folder on a sandbox host. */
  fsRoot: string;
  activation: ActivationKind;
}

/**
 * What the machine reconciler found comparing the inventory with every provider: an `orphan` is a
 * machine carrying this platform's label that the inventory does not know (a create whose record was
 * lost, a machine made by hand); a `missing` machine is in the inventory but gone at its provider.
 */
export interface MachineFinding {
  kind: 'orphan' | 'missing';
  providerId: string;
  providerName: string;
  /** The provider's id of the machine. */
  externalId: string;
  name: string;
  /** The inventory id (missing) or the machine-id label it carries (orphan), if any. */
  machineId: string | null;
  tenantId: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
}

export interface ReconcileReport {
  checkedAt: string;
  providers: Array<{ providerId: string; name: string; ok: boolean; error?: string; machines: number }>;
  findings: MachineFinding[];
}

/** `POST /v1/machines/cleanup`: deletes orphans (never inventory machines); a dry run first says which. */
export interface MachineCleanupRequest {
  dryRun: boolean;
}
export interface MachineCleanupResult {
  dryRun: boolean;
  /** Orphans deleted, or that would be deleted on a dry run (each confirmed at its provider just now). */
  orphans: MachineFinding[];
  /** Orphans found earlier that are gone or adopted now, so left alone. */
  skipped: Array<{ externalId: string; providerName: string; why: string }>;
}

export const MACHINES_CLEANUP_SUBJECT = 'rpc.fedops.provisioner.machines.cleanup';
/** The last reconciliation's report (RpcReply<ReconcileReport | null>). */
export const MACHINES_RECONCILIATION_SUBJECT = 'rpc.fedops.provisioner.machines.reconciliation';

/** The workflow a Temporal Schedule runs to reconcile machines (its function in workflows/ has this name). */
export const RECONCILE_MACHINES_WORKFLOW = 'reconcileMachines';
/** The schedule's id: one per Temporal namespace. */
export const MACHINE_RECONCILER_SCHEDULE_ID = 'fedops-machine-reconciler';
