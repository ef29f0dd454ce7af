import type {
  ApplyRetentionInput,
  ApplyRetentionResult,
  BackupAppsInput,
  BackupAppsResult,
  RestoreAppsInput,
  RestoreAppsResult,
  ScheduledBackupResult,
} from './backups';
import type { DriftReport } from './drift';
import type { AppHostname, AppSelection, TenantStatus } from './tenant';
import type { MachineRef, ReconcileReport, ResourceProviderKind } from './machine';
import type { MachinePlacement } from './providers';
import type { OperationOutcome } from './operations';
import type { OperationStep } from './workflows';

/** Activities hosted by the provisioner on task queue `provisioner`. */
export interface ProvisionerActivities {
  /**
   * Create the machine of a placement, or return it if it exists: idempotent by the machine id, which
   * the provider stores as a label, so a retried attempt finds the machine an earlier one made.
   */
  ensureMachine(input: EnsureMachineInput): Promise<MachineRef>;
  /** The tenant's ready machines, oldest first; never creates one. */
  findMachines(input: { tenantId: string }): Promise<{ machines: MachineRef[] }>;
  /** Remove a machine (or every machine of the tenant) if present; true when something was removed. */
  destroyMachine(input: DestroyMachineInput): Promise<{ destroyed: boolean }>;
  /** Compares the inventory with every provider; records and announces orphans and missing machines. */
  reconcileMachines(input: Record<string, never>): Promise<ReconcileReport>;
}
export interface EnsureMachineInput {
  tenantId: string;
  /**
   * The provider kind of runs started before placement existed: their machine goes to the provider of
   * that kind registered first (the built-in sandbox).
   */
  provider: ResourceProviderKind;
  /** Where the machine goes and its id; set by every run started since placement exists. */
  placement?: MachinePlacement;
}
export interface DestroyMachineInput {
  tenantId: string;
  provider: ResourceProviderKind;
  /** One machine; absent: every machine the tenant holds, on every provider. */
  machineId?: string;
}

/** Activities hosted by the dns service on task queue `dns`. */
export interface DnsActivities {
  /** Make the tenant's records match the plan for these hostnames (idempotent: replaces, never duplicates). */
  applyTenantRecords(input: ApplyTenantRecordsInput): Promise<DnsRecordSummary[]>;
  /** Remove every record the platform wrote for the tenant (and the zone, if the platform created it). */
  removeTenantRecords(input: RemoveTenantRecordsInput): Promise<{ removed: number }>;
}
export interface ApplyTenantRecordsInput {
  tenantId: string;
  domain: string;
  hostnames: AppHostname[];
  address: string;
}
export interface RemoveTenantRecordsInput {
  tenantId: string;
}
export interface DnsRecordSummary {
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT';
  content: string;
  ttl: number;
}

/**
 * How long one deployConfiguration attempt may take, and the parts of it: a `nixos-rebuild switch`
 * of a machine with every app (downloads from the binary cache, a first PostgreSQL initialisation)
 * is given NIXOS_REBUILD_TIMEOUT_MS, the health checks DEPLOY_HEALTH_TIMEOUT_MS; the rest (render,
 * validate, upload, secrets, a rollback after a failed check) fits in the margin. The workflow's
 * activity timeout is the sum, so the deployer gives up on its own before Temporal does.
 */
export const NIXOS_REBUILD_TIMEOUT_MS = 30 * 60_000;
export const DEPLOY_HEALTH_TIMEOUT_MS = 2 * 60_000;
export const DEPLOY_ACTIVITY_MARGIN_MS = 8 * 60_000;
export const DEPLOY_ACTIVITY_TIMEOUT_MS =
  NIXOS_REBUILD_TIMEOUT_MS + DEPLOY_HEALTH_TIMEOUT_MS + DEPLOY_ACTIVITY_MARGIN_MS;

/** Activities hosted by the deployer on task queue `deployer`. */
export interface DeployerActivities {
  /** Render, validate, ship and activate the tenant's configuration, then wait until every app is healthy. */
  deployConfiguration(input: DeployConfigurationInput): Promise<DeploymentResult>;
  /** Forget the tenant's deployments (the machine itself is removed by the provisioner). */
  removeDeployments(input: { tenantId: string }): Promise<{ removed: number }>;
  /** Compares every tenant's last deployment with what its machine runs now. */
  findDrift(input: Record<string, never>): Promise<DriftReport>;
}
export interface DeployConfigurationInput {
  tenantId: string;
  domain: string;
  apps: AppSelection[];
  machine: MachineRef;
}
export interface DeploymentResult {
  deploymentId: string;
  generation: number;
  configHash: string;
  /** One entry per checked endpoint of each app (`endpoint` absent in results from before endpoints). */
  apps: Array<{ app: string; endpoint?: string; healthy: boolean; url: string }>;
}

/** Activities hosted by the backup service on task queue `backup`. */
export interface BackupActivities {
  /**
   * Set up the tenant's restic repository (its password generated and sealed), or return it if it
   * exists. restic initialises it with the first backup.
   */
  initRepository(input: { tenantId: string }): Promise<BackupRepositorySummary>;
  /**
   * The tenant is deleted: its repository is kept for the grace period, then purged; at once when
   * `purge` is asked.
   */
  deleteRepository(input: { tenantId: string; purge?: boolean }): Promise<{ deleted: boolean }>;
  /** Purges the repositories of deleted tenants whose grace period has ended. */
  purgeExpiredRepositories(input: Record<string, never>): Promise<{ purged: string[] }>;
  /** Snapshots of the apps' data paths and databases, taken on the machine (heartbeats progress). */
  backupApps(input: BackupAppsInput): Promise<BackupAppsResult>;
  /** Restores apps from snapshots onto the machine, by the strategy asked (heartbeats progress). */
  restoreApps(input: RestoreAppsInput): Promise<RestoreAppsResult>;
  /**
   * Forgets each app's snapshots outside the policy's retention (protected ones are kept), prunes
   * their data, and checks the repository when the policy's check interval has passed.
   */
  applyRetention(input: ApplyRetentionInput): Promise<ApplyRetentionResult>;
}
export interface BackupRepositorySummary {
  /** restic's id of the repository; null until the first backup has initialised it. */
  repositoryId: string | null;
  location: string;
}

/** Activities hosted by tenant-api on task queue `tenant-api`: the desired-state and operations store. */
export interface TenantApiActivities {
  /** Records drift findings on the tenants (and clears it on those in sync), and announces new drift. */
  recordDrift(report: DriftReport): Promise<void>;
  /** Records how an operation ended and the tenant status it leads to, and announces both. */
  setTenantStatus(input: SetTenantStatusInput): Promise<void>;
  /** Records an operation's steps as they change, and announces them (progress bars follow these). */
  recordOperationProgress(input: OperationProgressReport): Promise<void>;
  /**
   * Cancels the tenant's other running operations (a deploy in flight, when a destroy starts) and
   * waits until their compensations are done. Runs recorded before operations were rows pass only
   * the tenant id.
   */
  cancelDeployment(input: { tenantId: string; operationId?: string }): Promise<{ cancelled: boolean }>;
  /**
   * A run of the tenant's backup schedule: starts a `backup` operation of every app with the tenant's
   * policy, or says why not (the tenant is being changed, or gone); a skip is announced.
   */
  startScheduledBackup(input: { tenantId: string }): Promise<ScheduledBackupResult>;
}
export interface SetTenantStatusInput {
  tenantId: string;
  status: TenantStatus;
  operationId: string;
  /** How the operation ended; runs recorded before operations were rows send only `error`. */
  outcome?: OperationOutcome;
  /** The operation's steps as they ended. */
  steps?: OperationStep[];
  /** The raw failure message of runs recorded before operations were rows. */
  error?: string;
}
export interface OperationProgressReport {
  operationId: string;
  tenantId: string;
  steps: OperationStep[];
}
