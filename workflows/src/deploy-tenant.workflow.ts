import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { DeployTenantInput, DeploymentResult, MachineRef } from '@fedops/contracts';
import { serviceActivities } from './activity-options';
import { OperationTracker, failureMessage } from './operation-progress';
import { Saga } from './saga';

export const DEPLOY_STEPS = ['provision', 'dns', 'deploy', 'backup'] as const;

export interface DeployTenantResult {
  machine: MachineRef;
  deployment: DeploymentResult;
}

/**
 * Brings a tenant from desired state to running apps: machine, DNS records, NixOS configuration,
 * backup repository. Every step is idempotent and has an undo; a failure (or cancellation) undoes
 * what was done, records the tenant as failed and fails the workflow.
 */
export async function deployTenant(input: DeployTenantInput): Promise<DeployTenantResult> {
  const { provisioner, dns, deployer, backup, tenantApi } = serviceActivities();
  const operationId = workflowInfo().workflowId;
  const tracker = new OperationTracker('deployTenant', input.tenantId, [...DEPLOY_STEPS]);
  const saga = new Saga();
  const { tenantId } = input;
  try {
    const machine = await tracker.run('provision', () =>
      provisioner.ensureMachine({ tenantId, provider: input.provider }),
    );
    saga.push('provision', () => provisioner.destroyMachine({ tenantId, provider: input.provider }));

    await tracker.run('dns', () =>
      dns.applyTenantRecords({
        tenantId,
        domain: input.domain,
        hostnames: input.hostnames,
        address: machine.address,
      }),
    );
    saga.push('dns', () => dns.removeTenantRecords({ tenantId }));

    const deployment = await tracker.run('deploy', () =>
      deployer.deployConfiguration({ tenantId, domain: input.domain, apps: input.apps, machine }),
    );
    saga.push('deploy', () => deployer.removeDeployments({ tenantId }));

    await tracker.run('backup', () => backup.initRepository({ tenantId }));
    saga.push('backup', () => backup.deleteRepository({ tenantId }));

    await tenantApi.setTenantStatus({ tenantId, status: 'ready', operationId });
    return { machine, deployment };
  } catch (err) {
    await saga.compensate((step, failure) => tracker.markCompensated(step, failure));
    const reason = failureMessage(err);
    await CancellationScope.nonCancellable(() =>
      tenantApi.setTenantStatus({ tenantId, status: 'failed', operationId, error: reason }),
    );
    throw err;
  }
}
