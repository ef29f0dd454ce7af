import {
  ActivityCancellationType,
  patched,
  proxyActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import {
  DEPLOY_ACTIVITY_TIMEOUT_MS,
  TaskQueue,
  type BackupActivities,
  type DeployerActivities,
  type DnsActivities,
  type ProvisionerActivities,
  type TenantApiActivities,
} from '@fedops/contracts';

/** Timeouts and retries of every service activity (the benchmark's baseline workflow uses them too). */
export const SERVICE_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  // Long activities heartbeat; a worker killed mid-activity is noticed after this and the attempt retried.
  heartbeatTimeout: '15 seconds',
  // Which failures are permanent is decided where they happen: service-kit marks them non-retryable.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 6,
  },
};

/**
 * Patch: on cancellation, wait until the activity attempt in flight has ended before compensating
 * (a machine or deployment that finished after its undo ran would be orphaned). Runs recorded before
 * the patch keep the old behaviour on replay (workflows/test/histories/*-v1.json).
 */
export const WAIT_FOR_CANCELLED_ACTIVITIES_PATCH = 'wait-for-cancelled-activities';

/** Activity stubs per service, each on the service's own task queue. Call once, at workflow start. */
export function serviceActivities() {
  const cancellationType = patched(WAIT_FOR_CANCELLED_ACTIVITIES_PATCH)
    ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
    : ActivityCancellationType.TRY_CANCEL;
  const options: ActivityOptions = { ...SERVICE_ACTIVITY_OPTIONS, cancellationType };
  return {
    provisioner: proxyActivities<ProvisionerActivities>({ ...options, taskQueue: TaskQueue.provisioner }),
    dns: proxyActivities<DnsActivities>({ ...options, taskQueue: TaskQueue.dns }),
    // A NixOS rebuild takes longer than other steps; the deployer's own timeouts fit inside this one.
    deployer: proxyActivities<DeployerActivities>({
      ...options,
      startToCloseTimeout: DEPLOY_ACTIVITY_TIMEOUT_MS,
      taskQueue: TaskQueue.deployer,
    }),
    backup: proxyActivities<BackupActivities>({ ...options, taskQueue: TaskQueue.backup }),
    // Waits for a cancelled deployTenant's compensations; heartbeats while it waits.
    deploymentControl: proxyActivities<Pick<TenantApiActivities, 'cancelDeployment'>>({
      ...options,
      taskQueue: TaskQueue.tenantApi,
    }),
    tenantApi: proxyActivities<
      Pick<
        TenantApiActivities,
        'setTenantStatus' | 'recordOperationProgress' | 'recordDrift' | 'startScheduledBackup'
      >
    >({
      ...options,
      heartbeatTimeout: undefined,
      startToCloseTimeout: '30 seconds',
      taskQueue: TaskQueue.tenantApi,
      // No maximumAttempts: retried until it succeeds, since recording progress and outcome must not be lost.
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
    }),
  };
}
