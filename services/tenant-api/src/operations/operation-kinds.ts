import type { OperationKind, OperationOutcome, TenantStatus } from '@fedops/contracts';
import { FedopsErrorCode } from '@fedops/domain';

/** What tenant-api knows of each kind of operation; the workflow that runs it is in orchestration. */
export interface OperationKindSpec {
  /** The workflow type, as metrics and logs name it. */
  workflow: string;
  /** The tenant's status while an operation of this kind runs. */
  tenantStatusWhileRunning: TenantStatus;
  /** The tenant's status when an operation of this kind is cancelled before its workflow started. */
  tenantStatusIfNotRun: TenantStatus;
  /** Whether it puts the tenant's desired state on its machine (which ends any drift found before). */
  appliesDesiredState: boolean;
  /** Whether a running operation can be cancelled (its workflow undoes what it did). */
  cancellable: boolean;
  /** Only one operation at a time may run on a tenant, except kinds that supersede the others. */
  supersedesRunning: boolean;
  /** The operator's words for each step, used in curated failure messages. */
  steps: Record<string, string>;
  /** The operator's words for the operation ("the deployment"). */
  noun: string;
  /** What a failure left behind and what to do, as the operator reads it after the reason. */
  afterFailure: string;
  /** Instead of `afterFailure` when undoing the failed operation failed too (the tenant is `failed`). */
  afterFailedUndo?: string;
}

export const OPERATION_KIND_SPECS: Record<OperationKind, OperationKindSpec> = {
  deploy: {
    workflow: 'deployTenant',
    appliesDesiredState: true,
    tenantStatusWhileRunning: 'provisioning',
    // Deleted, or deployed again by retrying the operation.
    tenantStatusIfNotRun: 'failed',
    cancellable: true,
    supersedesRunning: false,
    noun: 'The deployment',
    afterFailure: 'What it had done was undone; retry the operation',
    steps: {
      provision: 'creating the machine',
      dns: 'publishing the DNS records',
      deploy: 'deploying the apps',
      backup: 'setting up backups',
    },
  },
  update: {
    workflow: 'updateTenant',
    appliesDesiredState: true,
    tenantStatusWhileRunning: 'updating',
    // Nothing changed on the machine: the tenant runs what it ran.
    tenantStatusIfNotRun: 'ready',
    // Cancelling puts the previous configuration and records back.
    cancellable: true,
    supersedesRunning: false,
    noun: 'The update',
    afterFailure:
      'The tenant was put back on its previous configuration and keeps running it; correct the change and try again',
    afterFailedUndo:
      'Putting the previous configuration back failed too, so the tenant needs ops staff to repair it',
    steps: {
      machine: "finding the tenant's machine",
      dns: 'publishing the DNS records of the new apps',
      deploy: 'deploying the new configuration',
      'dns-cleanup': 'removing the DNS records of removed apps',
    },
  },
  reconcile: {
    // The update workflow with the tenant's apps as they are, before and after.
    workflow: 'updateTenant',
    appliesDesiredState: true,
    tenantStatusWhileRunning: 'updating',
    tenantStatusIfNotRun: 'ready',
    cancellable: true,
    supersedesRunning: false,
    noun: 'Putting the desired configuration back',
    afterFailure: 'The machine runs what it ran before; retry the operation',
    afterFailedUndo: 'Undoing it failed too, so the tenant needs ops staff to repair it',
    steps: {
      machine: "finding the tenant's machine",
      dns: "publishing the tenant's DNS records",
      deploy: 'deploying the configuration',
      'dns-cleanup': "publishing the tenant's DNS records",
    },
  },
  backup: {
    workflow: 'backupTenant',
    appliesDesiredState: false,
    // A backup changes nothing on the tenant: it keeps running as it is.
    tenantStatusWhileRunning: 'ready',
    tenantStatusIfNotRun: 'ready',
    // Cancelling ends restic on the machine; a snapshot is written whole or not at all.
    cancellable: true,
    supersedesRunning: false,
    noun: 'The backup',
    afterFailure: 'No snapshot of it was kept for the apps it had not finished; retry the operation',
    steps: {
      machine: "finding the tenant's machine",
      backup: "taking the apps' snapshots",
    },
  },
  restore: {
    workflow: 'restoreTenant',
    appliesDesiredState: false,
    tenantStatusWhileRunning: 'restoring',
    tenantStatusIfNotRun: 'ready',
    // Half a swap of data cannot be undone by stopping it.
    cancellable: false,
    supersedesRunning: false,
    noun: 'The restore',
    afterFailure:
      'A safe restore leaves the data as it was until its last step; an in-place restore took a pre-restore ' +
      'snapshot first, which holds the data as it was: restore it to go back',
    steps: {
      machine: "finding the tenant's machine",
      restore: 'restoring the snapshots',
    },
  },
  destroy: {
    workflow: 'destroyTenant',
    appliesDesiredState: false,
    tenantStatusWhileRunning: 'deleting',
    tenantStatusIfNotRun: 'failed',
    // Half a deletion cannot be undone; a failed one is retried until nothing is left.
    cancellable: false,
    supersedesRunning: true,
    noun: 'The deletion',
    afterFailure: "Some of the tenant's resources remain until the deletion is retried",
    steps: {
      'cancel-deploy': 'stopping the deployment in flight',
      dns: 'removing the DNS records',
      backup: 'retiring the backups (kept for the grace period)',
      deployments: 'removing the deployment',
      machine: 'removing the machine',
    },
  },
};

/**
 * The message an operator reads when an operation did not succeed: what failed in their terms and
 * what to do, never the raw failure (provider output, internal addresses), which ops staff see on
 * the operation as `errorDetail`.
 */
export function operatorMessage(
  kind: OperationKind,
  outcome: OperationOutcome,
  tenantStatus?: TenantStatus,
): string | null {
  const spec = OPERATION_KIND_SPECS[kind];
  if (outcome.status === 'succeeded') return null;
  if (outcome.status === 'cancelled') return `${spec.noun} was cancelled; what it had done was undone.`;
  const step = outcome.failedStep !== undefined ? spec.steps[outcome.failedStep] : undefined;
  const what = step === undefined ? `${spec.noun} failed` : `${spec.noun} failed while ${step}`;
  const why =
    outcome.errorType === FedopsErrorCode.HealthCheckFailed
      ? ': the apps did not become healthy'
      : outcome.errorType === FedopsErrorCode.ConfigurationInvalid
        ? ': the configuration was refused'
        : '';
  const after =
    tenantStatus === 'failed' && spec.afterFailedUndo !== undefined
      ? spec.afterFailedUndo
      : spec.afterFailure;
  return `${what}${why}. ${after}. Ops staff can see the details.`;
}

/** The message when a workflow ended without reporting its outcome (terminated, timed out, lost). */
export function abandonedMessage(kind: OperationKind): string {
  return `${OPERATION_KIND_SPECS[kind].noun} stopped unexpectedly. Retry the operation; ops staff can see the details.`;
}
