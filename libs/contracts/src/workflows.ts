import type { BackupPolicy, RestoreStrategy, SnapshotReason } from './backups';
import type { AppHostname, AppSelection } from './tenant';
import type { ResourceProviderKind } from './machine';
import type { MachinePlacement } from './providers';

export interface DeployTenantInput {
  tenantId: string;
  orgId: string;
  domain: string;
  apps: AppSelection[];
  /** Resolved at request time from the catalog, so the workflow does not depend on catalog changes. */
  hostnames: AppHostname[];
  provider: ResourceProviderKind;
  /** Chosen before the run started; absent in runs started before placement existed. */
  placement?: MachinePlacement;
}

/** The apps of a tenant and the hostnames they answer on (resolved from the catalog when stored). */
export interface TenantAppsState {
  apps: AppSelection[];
  hostnames: AppHostname[];
}

/**
 * A change to a running tenant's apps (added, removed, options changed): the workflow moves the
 * machine from `from` to `to`, and back to `from` when it fails or is cancelled.
 */
export interface UpdateTenantInput {
  tenantId: string;
  orgId: string;
  domain: string;
  provider: ResourceProviderKind;
  placement?: MachinePlacement;
  from: TenantAppsState;
  to: TenantAppsState;
}

/** A backup of some of a tenant's apps on the machine that runs them (one snapshot per app). */
export interface BackupTenantInput {
  tenantId: string;
  orgId: string;
  apps: string[];
  reason: SnapshotReason;
  /** Scheduled backups: the tenant's policy, whose retention (and check) is applied after them. */
  policy?: BackupPolicy;
}

/** A restore of apps from snapshots onto the tenant's machine. */
export interface RestoreTenantInput {
  tenantId: string;
  orgId: string;
  snapshotIds: string[];
  strategy: RestoreStrategy;
}

export interface DestroyTenantInput {
  tenantId: string;
  orgId: string;
  provider: ResourceProviderKind;
  /** Delete the backups at once instead of keeping them for the grace period. */
  purgeBackups?: boolean;
}

export const OPERATION_STEP_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'compensated',
  'compensation-failed',
] as const;
export type OperationStepStatus = (typeof OPERATION_STEP_STATUSES)[number];

export interface OperationStep {
  name: string;
  status: OperationStepStatus;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
}

/** What the `progress` query of every tenant workflow returns. */
export interface OperationProgress {
  kind: 'deployTenant' | 'updateTenant' | 'destroyTenant' | 'backupTenant' | 'restoreTenant';
  tenantId: string;
  steps: OperationStep[];
}

export const PROGRESS_QUERY_NAME = 'progress';
