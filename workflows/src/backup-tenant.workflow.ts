import { ApplicationFailure, CancellationScope, proxyActivities, workflowInfo } from '@temporalio/workflow';
import {
  TaskQueue,
  type BackupActivities,
  type BackupAppsResult,
  type BackupTenantInput,
  type MachineRef,
  type RestoreAppsResult,
  type RestoreTenantInput,
  type TenantStatus,
} from '@fedops/contracts';
import { SERVICE_ACTIVITY_OPTIONS, serviceActivities } from './activity-options';
import { OperationTracker } from './operation-progress';

export const BACKUP_STEPS = ['machine', 'backup'] as const;
export const RESTORE_STEPS = ['machine', 'restore'] as const;

/**
 * Backups and restores run as long as the data needs (hours for a big tenant) and heartbeat their
 * progress; a worker that dies mid-run is noticed within the heartbeat timeout and the run retried
 * (the next attempt clears the dead run's stale lock).
 */
function runActivities() {
  return proxyActivities<Pick<BackupActivities, 'backupApps' | 'restoreApps'>>({
    ...SERVICE_ACTIVITY_OPTIONS,
    taskQueue: TaskQueue.backup,
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: '30 seconds',
  });
}

/**
 * Snapshots of the tenant's apps, taken on its machine: `machine` finds the machine (never makes
 * one: a lost machine has nothing to back up), `backup` takes one snapshot per app that holds data.
 * Nothing to undo: a snapshot is written whole or not at all. The tenant stays as it was.
 */
export async function backupTenant(input: BackupTenantInput): Promise<BackupAppsResult> {
  const operationId = workflowInfo().workflowId;
  const { tenantId } = input;
  const { tenantApi } = serviceActivities();
  const tracker = new OperationTracker('backupTenant', tenantId, [...BACKUP_STEPS], (steps) =>
    tenantApi.recordOperationProgress({ operationId, tenantId, steps }),
  );
  return finishing(tracker, tenantId, operationId, 'ready', async () => {
    const machine = await tracker.run('machine', () => tenantMachine(tenantId));
    return tracker.run('backup', () =>
      runActivities().backupApps({ tenantId, operationId, machine, apps: input.apps, reason: input.reason }),
    );
  });
}

/**
 * Restores apps from snapshots onto the tenant's machine by the strategy asked (in place after a
 * pre-restore snapshot, or safe: into a new location, verified, then swapped). The tenant is
 * `restoring` meanwhile and `ready` after, also when the restore failed (with the reason on the
 * operation; the data is as it was, or in the pre-restore snapshot).
 */
export async function restoreTenant(input: RestoreTenantInput): Promise<RestoreAppsResult> {
  const operationId = workflowInfo().workflowId;
  const { tenantId } = input;
  const { tenantApi } = serviceActivities();
  const tracker = new OperationTracker('restoreTenant', tenantId, [...RESTORE_STEPS], (steps) =>
    tenantApi.recordOperationProgress({ operationId, tenantId, steps }),
  );
  return finishing(tracker, tenantId, operationId, 'ready', async () => {
    const machine = await tracker.run('machine', () => tenantMachine(tenantId));
    return tracker.run('restore', () =>
      runActivities().restoreApps({
        tenantId,
        operationId,
        machine,
        snapshotIds: input.snapshotIds,
        strategy: input.strategy,
      }),
    );
  });
}

/** The machine the tenant runs on now: the oldest of its ready machines. */
async function tenantMachine(tenantId: string): Promise<MachineRef> {
  const { machines } = await serviceActivities().provisioner.findMachines({ tenantId });
  const [machine] = machines;
  if (machine === undefined) {
    throw ApplicationFailure.nonRetryable(`Tenant ${tenantId} has no machine`, 'NOT_FOUND');
  }
  return machine;
}

/** Runs the steps, then records the outcome and the tenant's status (also after a failure). */
async function finishing<T>(
  tracker: OperationTracker,
  tenantId: string,
  operationId: string,
  status: TenantStatus,
  steps: () => Promise<T>,
): Promise<T> {
  const { tenantApi } = serviceActivities();
  try {
    const result = await steps();
    await tenantApi.setTenantStatus({
      tenantId,
      status,
      operationId,
      outcome: tracker.outcome(),
      steps: tracker.snapshot(),
    });
    return result;
  } catch (err) {
    const outcome = tracker.outcome(err);
    await CancellationScope.nonCancellable(() =>
      tenantApi.setTenantStatus({ tenantId, status, operationId, outcome, steps: tracker.snapshot() }),
    );
    throw err;
  }
}
