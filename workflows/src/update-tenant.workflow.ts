import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { AppHostname, DeploymentResult, UpdateTenantInput } from '@fedops/contracts';
import { serviceActivities } from './activity-options';
import { OperationTracker } from './operation-progress';
import { Saga } from './saga';

export const UPDATE_STEPS = ['machine', 'dns', 'deploy', 'dns-cleanup'] as const;

export interface UpdateTenantResult {
  deployment: DeploymentResult;
}

/**
 * Moves a running tenant from one set of apps to another (apps added or removed, options changed)
 * on the machine it has:
 *
 * 1. `machine`: the tenant's machine as the provisioner knows it (ensureMachine is idempotent: it
 *    returns the machine that exists; nothing undoes this step, the machine stays).
 * 2. `dns`: records for the hostnames of both the old and the new apps, so a new app's name resolves
 *    before its certificate is asked for, and a removed app's name still does while it runs.
 * 3. `deploy`: the new configuration, health-gated (the deployer switches back to the previous
 *    generation itself when the new one is unhealthy).
 * 4. `dns-cleanup`: the records of exactly the new apps (a removed app's name goes).
 *
 * A failure or a cancellation undoes the steps in reverse: the previous configuration is deployed
 * again (nothing to do when the deployer already switched back) and the previous records are put
 * back. The tenant then runs what it ran before and stays `ready`, with the failure on the operation;
 * only when the undo itself fails is it `failed`, for ops staff to repair.
 */
export async function updateTenant(input: UpdateTenantInput): Promise<UpdateTenantResult> {
  const { provisioner, dns, deployer, tenantApi } = serviceActivities();
  const operationId = workflowInfo().workflowId;
  const { tenantId, domain, from, to } = input;
  const tracker = new OperationTracker('updateTenant', tenantId, [...UPDATE_STEPS], (steps) =>
    tenantApi.recordOperationProgress({ operationId, tenantId, steps }),
  );
  const saga = new Saga();
  let undoFailed = false;

  try {
    const machine = await tracker.run('machine', () =>
      provisioner.ensureMachine({
        tenantId,
        provider: input.provider,
        ...(input.placement !== undefined ? { placement: input.placement } : {}),
      }),
    );
    const records = (hostnames: AppHostname[]) => () =>
      dns.applyTenantRecords({ tenantId, domain, hostnames, address: machine.address });
    saga.push('dns', records(from.hostnames));
    await tracker.run('dns', records(unionByFqdn(from.hostnames, to.hostnames)));
    saga.push('deploy', () => deployer.deployConfiguration({ tenantId, domain, apps: from.apps, machine }));
    const deployment = await tracker.run('deploy', () =>
      deployer.deployConfiguration({ tenantId, domain, apps: to.apps, machine }),
    );
    await tracker.run('dns-cleanup', records(to.hostnames));
    await tenantApi.setTenantStatus({
      tenantId,
      status: 'ready',
      operationId,
      outcome: tracker.outcome(),
      steps: tracker.snapshot(),
    });
    return { deployment };
  } catch (err) {
    // Before the undo, which marks the failed step `compensation-failed` when undoing it fails.
    const outcome = tracker.outcome(err);
    await saga.compensate((name, failure) => {
      tracker.markCompensated(name, failure);
      if (failure !== undefined) undoFailed = true;
    });
    await CancellationScope.nonCancellable(() =>
      tenantApi.setTenantStatus({
        tenantId,
        status: undoFailed ? 'failed' : 'ready',
        operationId,
        outcome,
        steps: tracker.snapshot(),
      }),
    );
    throw err;
  }
}

/** The hostnames of both lists, each fully qualified name once (the first list's entry wins). */
function unionByFqdn(a: AppHostname[], b: AppHostname[]): AppHostname[] {
  const seen = new Set(a.map((h) => h.fqdn));
  return [...a, ...b.filter((h) => !seen.has(h.fqdn))];
}
