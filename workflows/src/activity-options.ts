import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import {
  TaskQueue,
  type BackupActivities,
  type DeployerActivities,
  type DnsActivities,
  type ProvisionerActivities,
  type TenantApiActivities,
} from '@fedops/contracts';

/** Failures with these types are permanent: retrying cannot help. */
export const NON_RETRYABLE_ERROR_TYPES = ['VALIDATION_FAILED', 'CONFIGURATION_INVALID', 'NOT_FOUND'];

const base: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  // Long activities heartbeat; a worker killed mid-activity is noticed after this and the attempt retried.
  heartbeatTimeout: '15 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 6,
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  },
};

/** Activity stubs per service, each on the service's own task queue. */
export const activities = {
  provisioner: proxyActivities<ProvisionerActivities>({ ...base, taskQueue: TaskQueue.provisioner }),
  dns: proxyActivities<DnsActivities>({ ...base, taskQueue: TaskQueue.dns }),
  deployer: proxyActivities<DeployerActivities>({ ...base, taskQueue: TaskQueue.deployer }),
  backup: proxyActivities<BackupActivities>({ ...base, taskQueue: TaskQueue.backup }),
  tenantApi: proxyActivities<TenantApiActivities>({
    ...base,
    heartbeatTimeout: undefined,
    startToCloseTimeout: '30 seconds',
    taskQueue: TaskQueue.tenantApi,
    // No maximumAttempts: retried until it succeeds, since recording the outcome must not be lost.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  }),
};
