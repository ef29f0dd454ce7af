import { heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure, type WorkflowHandle } from '@temporalio/client';
import { TaskQueue, type DestroyTenantInput } from '@fedops/contracts';
import { waitFor } from '@fedops/testing';

import { DESTROY_STEPS, destroyTenant, progressQuery } from './index';
import { recordHistory } from '../test/record-histories';
import {
  newOperationId,
  newTenantId,
  failureOf,
  openTestNamespace,
  stepStatuses,
  succeedingServices,
  withWorkers,
  type TestNamespace,
} from '../test/workflow-harness';

function destroyInput(tenantId: string): DestroyTenantInput {
  return { tenantId, orgId: 'org-wf-tests', provider: 'sandbox' };
}

function startDestroy(
  ns: TestNamespace,
  input: DestroyTenantInput,
): Promise<WorkflowHandle<typeof destroyTenant>> {
  return ns.client.workflow.start(destroyTenant, {
    taskQueue: TaskQueue.workflows,
    workflowId: newOperationId(input.tenantId),
    args: [input],
  });
}

describe('destroyTenant workflow', () => {
  let ns: TestNamespace;

  beforeAll(async () => {
    ns = await openTestNamespace('wf-destroy');
  });
  afterAll(async () => {
    await ns?.close();
  });

  it('removes records, backups, deployments and the machine, then marks the tenant deleted', async () => {
    const input = destroyInput(newTenantId('gone'));
    const { tenantId } = input;

    await withWorkers(ns, succeedingServices(), async (run) => {
      const handle = await startDestroy(ns, input);
      await handle.result();
      await recordHistory(handle, 'destroy-tenant-succeeded');

      expect(run.names()).toEqual([
        'tenantApi.cancelDeployment',
        'dns.removeTenantRecords',
        'backup.deleteRepository',
        'deployer.removeDeployments',
        'provisioner.destroyMachine',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.inputsOf('removeTenantRecords')).toEqual([{ tenantId }]);
      expect(run.inputsOf('deleteRepository')).toEqual([{ tenantId }]);
      expect(run.inputsOf('removeDeployments')).toEqual([{ tenantId }]);
      expect(run.inputsOf('destroyMachine')).toEqual([{ tenantId, provider: 'sandbox' }]);
      expect(run.inputsOf('setTenantStatus')).toEqual([
        {
          tenantId,
          status: 'deleted',
          operationId: handle.workflowId,
          outcome: { status: 'succeeded' },
          steps: ['cancel-deploy', ...DESTROY_STEPS].map((name) =>
            expect.objectContaining({ name, status: 'succeeded' }),
          ),
        },
      ]);
      expect(run.progressReports()).toHaveLength(2 * (DESTROY_STEPS.length + 1));
      const progress = await handle.query(progressQuery);
      expect(progress).toMatchObject({ kind: 'destroyTenant', tenantId });
      expect(progress.steps.map((s) => [s.name, s.status])).toEqual(
        ['cancel-deploy', ...DESTROY_STEPS].map((n) => [n, 'succeeded']),
      );
      // The destroy cancels the tenant's other operations, not itself.
      expect(run.inputsOf('cancelDeployment')).toEqual([{ tenantId, operationId: handle.workflowId }]);
    });
  });

  it('stops at a failing step and reports the operation failed at that step, the tenant failed', async () => {
    const input = destroyInput(newTenantId('stuck'));
    const services = succeedingServices();
    services.backup.deleteRepository = async () => {
      throw ApplicationFailure.nonRetryable('repository locked', 'CONFIGURATION_INVALID');
    };

    await withWorkers(ns, services, async (run) => {
      const handle = await startDestroy(ns, input);
      const failure = await failureOf(handle);
      await recordHistory(handle, 'destroy-tenant-failed');

      expect((failure.cause?.cause as ApplicationFailure | undefined)?.type).toBe('CONFIGURATION_INVALID');
      expect(run.names()).toEqual([
        'tenantApi.cancelDeployment',
        'dns.removeTenantRecords',
        'backup.deleteRepository',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.inputsOf('setTenantStatus')).toEqual([
        expect.objectContaining({
          status: 'failed',
          outcome: {
            status: 'failed',
            failedStep: 'backup',
            errorType: 'CONFIGURATION_INVALID',
            errorDetail: 'repository locked',
          },
        }),
      ]);
      const steps = await stepStatuses(handle);
      expect(DESTROY_STEPS.map((n) => steps[n]?.status)).toEqual([
        'succeeded',
        'failed',
        'pending',
        'pending',
      ]);
    });
  });

  it('reports the operation cancelled, the tenant failed, when cancelled mid-way', async () => {
    const input = destroyInput(newTenantId('cancel'));
    const services = succeedingServices();
    services.backup.deleteRepository = async () => {
      for (;;) {
        heartbeat();
        await sleep(100);
      }
    };

    await withWorkers(ns, services, async (run) => {
      const handle = await startDestroy(ns, input);
      await waitFor(() => run.names().includes('backup.deleteRepository'), {
        description: 'the backup step to start',
        timeoutMs: 20_000,
      });
      await handle.cancel();
      await failureOf(handle);

      expect(run.inputsOf('setTenantStatus')).toEqual([
        expect.objectContaining({
          status: 'failed',
          outcome: expect.objectContaining({ status: 'cancelled', failedStep: 'backup' }),
        }),
      ]);
    });
  });
});
