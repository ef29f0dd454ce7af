import type { AppHostname, AppSelection, TenantStatus } from './tenant';
import type { MachineRef, ResourceProviderKind } from './machine';
import type { OperationOutcome } from './operations';
import type { OperationStep } from './workflows';

/** Activities hosted by the provisioner on task queue `provisioner`. */
export interface ProvisionerActivities {
  /** Create the tenant's machine, or return it if it exists (idempotent by the tenant label). */
  ensureMachine(input: EnsureMachineInput): Promise<MachineRef>;
  /** Remove the tenant's machine if present; true when something was removed. */
  destroyMachine(input: DestroyMachineInput): Promise<{ destroyed: boolean }>;
}
export interface EnsureMachineInput {
  tenantId: string;
  provider: ResourceProviderKind;
}
export interface DestroyMachineInput {
  tenantId: string;
  provider: ResourceProviderKind;
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

/** Activities hosted by the deployer on task queue `deployer`. */
export interface DeployerActivities {
  /** Render, validate, ship and activate the tenant's configuration, then wait until every app is healthy. */
  deployConfiguration(input: DeployConfigurationInput): Promise<DeploymentResult>;
  /** Forget the tenant's deployments (the machine itself is removed by the provisioner). */
  removeDeployments(input: { tenantId: string }): Promise<{ removed: number }>;
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
  apps: Array<{ app: string; healthy: boolean; url: string }>;
}

/** Activities hosted by the backup service on task queue `backup`. */
export interface BackupActivities {
  /** Create the tenant's restic repository, or return it if it exists. */
  initRepository(input: { tenantId: string }): Promise<BackupRepositorySummary>;
  /** Delete the tenant's repository and its data. */
  deleteRepository(input: { tenantId: string }): Promise<{ deleted: boolean }>;
}
export interface BackupRepositorySummary {
  repositoryId: string;
  location: string;
}

/** Activities hosted by tenant-api on task queue `tenant-api`: the desired-state and operations store. */
export interface TenantApiActivities {
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
