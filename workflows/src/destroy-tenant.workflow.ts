import { CancellationScope, patched, workflowInfo } from '@temporalio/workflow';
import type { DestroyTenantInput } from '@fedops/contracts';
import { serviceActivities } from './activity-options';
import { OPERATION_PROGRESS_REPORTS_PATCH, OperationTracker, failureMessage } from './operation-progress';

export const DESTROY_STEPS = ['dns', 'backup', 'deployments', 'machine'] as const;

/**
 * Patch: destroyTenant first cancels a deployTenant still in flight and waits for its compensations,
 * so DELETE answers at once and a late deploy step cannot recreate what was just removed.
 */
export const DESTROY_CANCELS_DEPLOY_PATCH = 'destroy-cancels-deploy';

/**
 * Removes everything a tenant has: records, backup repository, deployments, machine. Each step is
 * idempotent (removing what is already gone succeeds), so the workflow can be retried until nothing
 * is left; the tenant is marked deleted only after every step succeeded.
 */
export async function destroyTenant(input: DestroyTenantInput): Promise<void> {
  const { provisioner, dns, deployer, backup, tenantApi, deploymentControl } = serviceActivities();
  // The workflow id is the operation id: tenant-api stores the operation before starting its workflow.
  const operationId = workflowInfo().workflowId;
  const { tenantId } = input;
  const cancelsDeploy = patched(DESTROY_CANCELS_DEPLOY_PATCH);
  const reportsProgress = patched(OPERATION_PROGRESS_REPORTS_PATCH);
  const steps = cancelsDeploy ? ['cancel-deploy', ...DESTROY_STEPS] : [...DESTROY_STEPS];
  const tracker = new OperationTracker(
    'destroyTenant',
    tenantId,
    steps,
    reportsProgress
      ? (snapshot) => tenantApi.recordOperationProgress({ operationId, tenantId, steps: snapshot })
      : undefined,
  );
  try {
    if (cancelsDeploy)
      await tracker.run('cancel-deploy', () =>
        deploymentControl.cancelDeployment(reportsProgress ? { tenantId, operationId } : { tenantId }),
      );
    await tracker.run('dns', () => dns.removeTenantRecords({ tenantId }));
    await tracker.run('backup', () =>
      backup.deleteRepository(input.purgeBackups === true ? { tenantId, purge: true } : { tenantId }),
    );
    await tracker.run('deployments', () => deployer.removeDeployments({ tenantId }));
    await tracker.run('machine', () => provisioner.destroyMachine({ tenantId, provider: input.provider }));
  } catch (err) {
    await CancellationScope.nonCancellable(() =>
      tenantApi.setTenantStatus({
        tenantId,
        status: 'failed',
        operationId,
        ...(reportsProgress
          ? { outcome: tracker.outcome(err), steps: tracker.snapshot() }
          : { error: `deletion incomplete: ${failureMessage(err)}` }),
      }),
    );
    throw err;
  }
  await tenantApi.setTenantStatus({
    tenantId,
    status: 'deleted',
    operationId,
    ...(reportsProgress ? { outcome: tracker.outcome(), steps: tracker.snapshot() } : {}),
  });
}
