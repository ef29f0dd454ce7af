/**
 * Drift: a machine whose active NixOS configuration is not the one fedops activated last (someone
 * ran nixos-rebuild or a rollback on it by hand, or a generation was lost). A Temporal Schedule runs
 * `checkDrift`: the deployer compares every tenant's last deployment with what its machine runs,
 * and tenant-api records the findings on the tenants. `POST /v1/tenants/{id}/reconcile` puts the
 * desired state back.
 */
export const CHECK_DRIFT_WORKFLOW = 'checkDrift';
/** The schedule's id: one per Temporal namespace (the deployer creates it). */
export const DRIFT_CHECK_SCHEDULE_ID = 'fedops-drift-check';

/** What fedops activated on a machine, or what the machine says is active. */
export interface ActiveConfiguration {
  /** The system profile's generation; absent when the machine has none. */
  generation?: number;
  /** The configuration hash fedops wrote with that generation (`/etc/fedops/active.json`). */
  configHash?: string;
}

export interface DriftFinding {
  tenantId: string;
  machineId: string;
  expected: Required<ActiveConfiguration>;
  found: ActiveConfiguration;
}

export interface DriftReport {
  /** When the deployer began looking: a tenant changed after it is judged by its next check. */
  checkedAt: string;
  /** Tenants whose machine runs what fedops activated last. */
  inSync: string[];
  drifted: DriftFinding[];
  /** Tenants whose machine could not be asked (not drift: reported so ops can look). */
  unreachable: Array<{ tenantId: string; machineId: string; error: string }>;
}
