import { ApplicationFailure, CancellationScope, proxyActivities, workflowInfo } from '@temporalio/workflow';
import {
  TaskQueue,
  type BackupActivities,
  type BackupAppsResult,
  type BackupTenantInput,
  type MachineRef,
  type RestoreAppsResult,
  type RestoreTenantInput,
  type ScheduledBackupResult,
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
  return proxyActivities<Pick<BackupActivities, 'backupApps' | 'restoreApps' | 'applyRetention'>>({
    ...SERVICE_ACTIVITY_OPTIONS,
    taskQueue: TaskQueue.backup,
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: '30 seconds',
  });
}

/**
 * Snapshots of the tenant's apps, taken on its machine: `machine` finds the machine (never makes
 * one: a lost machine has nothing to back up), `backup` takes one snapshot per app that holds data.
 * Nothing to undo: a snapshot is written whole or not at all. The tenant stays as it was. A
 * scheduled backup carries the tenant's policy: `retention` then forgets and prunes what the policy
 * does not keep (never a protected snapshot) and checks the repository when a check is due.
 */
export async function backupTenant(input: BackupTenantInput): Promise<BackupAppsResult> {
  const operationId = workflowInfo().workflowId;
  const { tenantId, policy } = input;
  const { tenantApi } = serviceActivities();
  const steps = policy === undefined ? [...BACKUP_STEPS] : [...BACKUP_STEPS, 'retention'];
  const tracker = new OperationTracker('backupTenant', tenantId, steps, (snapshot) =>
    tenantApi.recordOperationProgress({ operationId, tenantId, steps: snapshot }),
  );
  return finishing(tracker, tenantId, operationId, 'ready', async () => {
    const machine = await tracker.run('machine', () => tenantMachine(tenantId));
    const taken = await tracker.run('backup', () =>
      runActivities().backupApps({ tenantId, operationId, machine, apps: input.apps, reason: input.reason }),
    );
    if (policy !== undefined) {
      await tracker.run('retention', () =>
        runActivities().applyRetention({ tenantId, operationId, apps: input.apps, policy }),
      );
    }
    return taken;
  });
}

/**
 * A run of a tenant's backup schedule (a Temporal Schedule per tenant): tenant-api starts the backup
 * operation with the tenant's policy, like any other operation, or says why it did not (and
 * announces the skip); the operation's own workflow does the work.
 */
export async function scheduledBackup(input: { tenantId: string }): Promise<ScheduledBackupResult> {
  return serviceActivities().tenantApi.startScheduledBackup({ tenantId: input.tenantId });
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

/**
 * Run by the Temporal Schedule `fedops-backup-purge` (the backup service creates it): the repositories
 * of deleted tenants whose grace period has ended are deleted with every snapshot.
 */
export async function purgeRepositories(): Promise<{ purged: string[] }> {
  return serviceActivities().backup.purgeExpiredRepositories({});
}
