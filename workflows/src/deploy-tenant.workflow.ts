import { CancellationScope, patched, workflowInfo } from '@temporalio/workflow';
import type { DeployTenantInput, DeploymentResult, MachineRef } from '@fedops/contracts';
import { serviceActivities } from './activity-options';
import { OPERATION_PROGRESS_REPORTS_PATCH, OperationTracker, failureMessage } from './operation-progress';
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
/**
 * Patch: a step's undo is registered before the step runs, so a step that did part of its work and
 * then failed (retries exhausted, a permanent error after a side effect) is undone too; every undo is
 * idempotent, so undoing what never happened is harmless. Runs recorded before it keep the old order.
 */
export const UNDO_FAILED_STEPS_PATCH = 'undo-failed-steps';

/**
 * Patch: the backup repository, which depends on nothing else, is made while the machine, DNS and
 * configuration steps run (those three stay in order: records need the machine's address, and ACME
 * on the machine needs the records). The workflow waits for both branches before it compensates or
 * reports, so an undo never races a step still running. Runs recorded before it keep the sequence.
 */
export const BACKUP_ALONGSIDE_PATCH = 'backup-alongside';

export async function deployTenant(input: DeployTenantInput): Promise<DeployTenantResult> {
  const { provisioner, dns, deployer, backup, tenantApi } = serviceActivities();
  // The workflow id is the operation id: tenant-api stores the operation before starting its workflow.
  const operationId = workflowInfo().workflowId;
  const { tenantId } = input;
  const reportsProgress = patched(OPERATION_PROGRESS_REPORTS_PATCH);
  const tracker = new OperationTracker(
    'deployTenant',
    tenantId,
    [...DEPLOY_STEPS],
    reportsProgress
      ? (steps) => tenantApi.recordOperationProgress({ operationId, tenantId, steps })
      : undefined,
  );
  const saga = new Saga();
  const undoFailedSteps = patched(UNDO_FAILED_STEPS_PATCH);

  /** Runs a step with its undo on the compensation stack (before the step, once patched; after it, before). */
  async function step<T>(
    name: (typeof DEPLOY_STEPS)[number],
    run: () => Promise<T>,
    undo: () => Promise<unknown>,
  ): Promise<T> {
    if (undoFailedSteps) saga.push(name, undo);
    const result = await tracker.run(name, run);
    if (!undoFailedSteps) saga.push(name, undo);
    return result;
  }

  try {
    const backupStep = (): Promise<unknown> =>
      step(
        'backup',
        () => backup.initRepository({ tenantId }),
        () => backup.deleteRepository({ tenantId }),
      );
    const machineDnsDeploy = async (): Promise<DeployTenantResult> => {
      const machine = await step(
        'provision',
        () =>
          provisioner.ensureMachine({
            tenantId,
            provider: input.provider,
            ...(input.placement !== undefined ? { placement: input.placement } : {}),
          }),
        () =>
          provisioner.destroyMachine({
            tenantId,
            provider: input.provider,
            ...(input.placement !== undefined ? { machineId: input.placement.machineId } : {}),
          }),
      );
      await step(
        'dns',
        () =>
          dns.applyTenantRecords({
            tenantId,
            domain: input.domain,
            hostnames: input.hostnames,
            address: machine.address,
          }),
        () => dns.removeTenantRecords({ tenantId }),
      );
      const deployment = await step(
        'deploy',
        () => deployer.deployConfiguration({ tenantId, domain: input.domain, apps: input.apps, machine }),
        () => deployer.removeDeployments({ tenantId }),
      );
      return { machine, deployment };
    };
    let result: DeployTenantResult;
    if (patched(BACKUP_ALONGSIDE_PATCH)) {
      const [main, repository] = await Promise.allSettled([machineDnsDeploy(), backupStep()]);
      if (main.status === 'rejected') throw main.reason;
      if (repository.status === 'rejected') throw repository.reason;
      result = main.value;
    } else {
      result = await machineDnsDeploy();
      await backupStep();
    }
    await tenantApi.setTenantStatus({
      tenantId,
      status: 'ready',
      operationId,
      ...(reportsProgress ? { outcome: tracker.outcome(), steps: tracker.snapshot() } : {}),
    });
    return result;
  } catch (err) {
    await saga.compensate((name, failure) => tracker.markCompensated(name, failure));
    await CancellationScope.nonCancellable(() =>
      tenantApi.setTenantStatus({
        tenantId,
        status: 'failed',
        operationId,
        ...(reportsProgress
          ? { outcome: tracker.outcome(err), steps: tracker.snapshot() }
          : { error: failureMessage(err) }),
      }),
    );
    throw err;
  }
}
