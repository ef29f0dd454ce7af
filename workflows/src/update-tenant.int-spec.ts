import { CancelledFailure, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure, type WorkflowHandle } from '@temporalio/client';
import { TaskQueue, type AppHostname, type UpdateTenantInput } from '@fedops/contracts';
import { waitFor } from '@fedops/testing';

import { UPDATE_STEPS, updateTenant } from './index';
import { recordHistory } from '../test/record-histories';
import {
  fakeMachine,
  failureOf,
  newOperationId,
  newTenantId,
  openTestNamespace,
  stepStatuses,
  succeedingServices,
  withWorkers,
  type TestNamespace,
} from '../test/workflow-harness';

/** A tenant with GoToSocial that gets Matrix and loses Jitsi. */
function updateInput(tenantId: string): UpdateTenantInput {
  const domain = `${tenantId}.example.test`;
  const host = (app: string, label: string, port: number): AppHostname => ({
    app,
    fqdn: `${label}.${domain}`,
    port,
    endpoint: 'web',
  });
  return {
    tenantId,
    orgId: 'org-wf-tests',
    domain,
    provider: 'sandbox',
    from: {
      apps: [
        { app: 'gotosocial', options: {} },
        { app: 'jitsi', options: {} },
      ],
      hostnames: [host('gotosocial', 'gts', 8080), host('jitsi', 'meet', 443)],
    },
    to: {
      apps: [
        { app: 'gotosocial', options: {} },
        { app: 'matrix', options: {} },
      ],
      hostnames: [host('gotosocial', 'gts', 8080), host('matrix', 'matrix', 8008)],
    },
  };
}

function startUpdate(
  ns: TestNamespace,
  input: UpdateTenantInput,
): Promise<WorkflowHandle<typeof updateTenant>> {
  return ns.client.workflow.start(updateTenant, {
    taskQueue: TaskQueue.workflows,
    workflowId: newOperationId(input.tenantId),
    args: [input],
  });
}

const fqdns = (hostnames: AppHostname[]): string[] => hostnames.map((h) => h.fqdn).sort();

describe('updateTenant workflow', () => {
  let ns: TestNamespace;

  beforeAll(async () => {
    ns = await openTestNamespace('wf-update');
  });
  afterAll(async () => {
    await ns?.close();
  });

  it('publishes old and new names, deploys the new apps on the same machine, then drops the removed names', async () => {
    const input = updateInput(newTenantId('upd-ok'));
    const { tenantId } = input;
    const machine = fakeMachine(tenantId);
    await withWorkers(ns, succeedingServices(), async (run) => {
      const handle = await startUpdate(ns, input);
      const result = await handle.result();
      await recordHistory(handle, 'update-tenant-succeeded');

      expect(run.names()).toEqual([
        'provisioner.ensureMachine',
        'dns.applyTenantRecords',
        'deployer.deployConfiguration',
        'dns.applyTenantRecords',
        'tenantApi.setTenantStatus',
      ]);
      // ensureMachine returns the machine the tenant has; nothing destroys it.
      expect(run.inputsOf('ensureMachine')).toEqual([{ tenantId, provider: 'sandbox' }]);
      const [both, after] = run.inputsOf('applyTenantRecords') as Array<{ hostnames: AppHostname[] }>;
      expect(fqdns(both?.hostnames ?? [])).toEqual(
        [`gts.${input.domain}`, `matrix.${input.domain}`, `meet.${input.domain}`].sort(),
      );
      expect(fqdns(after?.hostnames ?? [])).toEqual(fqdns(input.to.hostnames));
      expect(run.inputsOf('deployConfiguration')).toEqual([
        { tenantId, domain: input.domain, apps: input.to.apps, machine },
      ]);
      expect(run.inputsOf('setTenantStatus')).toEqual([
        {
          tenantId,
          status: 'ready',
          operationId: handle.workflowId,
          outcome: { status: 'succeeded' },
          steps: UPDATE_STEPS.map((name) => expect.objectContaining({ name, status: 'succeeded' })),
        },
      ]);
      expect(result.deployment).toMatchObject({ generation: 1 });
    });
  });

  it('deploys the previous apps again and puts the previous records back when the new configuration fails; the tenant stays ready', async () => {
    const input = updateInput(newTenantId('upd-unhealthy'));
    const { tenantId } = input;
    const machine = fakeMachine(tenantId);
    const services = succeedingServices();
    const deploy = services.deployer.deployConfiguration;
    services.deployer.deployConfiguration = async (deployment) => {
      if (deployment.apps.some((a) => a.app === 'matrix'))
        throw ApplicationFailure.nonRetryable('matrix/web never answered: HTTP 502', 'HEALTH_CHECK_FAILED');
      return deploy(deployment);
    };
    await withWorkers(ns, services, async (run) => {
      const handle = await startUpdate(ns, input);
      await failureOf(handle);
      await recordHistory(handle, 'update-tenant-rolled-back');

      expect(run.names()).toEqual([
        'provisioner.ensureMachine',
        'dns.applyTenantRecords',
        'deployer.deployConfiguration',
        'deployer.deployConfiguration',
        'dns.applyTenantRecords',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.inputsOf('deployConfiguration')).toEqual([
        { tenantId, domain: input.domain, apps: input.to.apps, machine },
        { tenantId, domain: input.domain, apps: input.from.apps, machine },
      ]);
      const records = run.inputsOf('applyTenantRecords') as Array<{ hostnames: AppHostname[] }>;
      expect(fqdns(records.at(-1)?.hostnames ?? [])).toEqual(fqdns(input.from.hostnames));
      expect(run.inputsOf('setTenantStatus')).toEqual([
        expect.objectContaining({
          tenantId,
          status: 'ready',
          outcome: expect.objectContaining({
            status: 'failed',
            failedStep: 'deploy',
            errorType: 'HEALTH_CHECK_FAILED',
          }),
        }),
      ]);
      const steps = await stepStatuses(handle);
      expect(UPDATE_STEPS.map((s) => steps[s]?.status)).toEqual([
        'succeeded',
        'compensated',
        'failed',
        'pending',
      ]);
    });
  });

  it('leaves the tenant failed when putting the previous configuration back fails too', async () => {
    const input = updateInput(newTenantId('upd-undo-fails'));
    const services = succeedingServices();
    services.deployer.deployConfiguration = async () => {
      throw ApplicationFailure.nonRetryable('activation failed', 'ACTIVATION_FAILED');
    };
    await withWorkers(ns, services, async (run) => {
      const handle = await startUpdate(ns, input);
      await failureOf(handle);
      expect(run.inputsOf('setTenantStatus')).toEqual([
        expect.objectContaining({
          status: 'failed',
          outcome: expect.objectContaining({ status: 'failed', failedStep: 'deploy' }),
        }),
      ]);
      const steps = await stepStatuses(handle);
      expect(steps['deploy']?.status).toBe('compensation-failed');
      expect(steps['dns']?.status).toBe('compensated');
    });
  });

  it('puts the previous configuration and records back when cancelled while deploying', async () => {
    const input = updateInput(newTenantId('upd-cancel'));
    const services = succeedingServices();
    const deploy = services.deployer.deployConfiguration;
    let deploySawCancellation = false;
    services.deployer.deployConfiguration = async (deployment) => {
      if (deployment.apps.some((a) => a.app === 'jitsi')) return deploy(deployment);
      try {
        for (;;) {
          heartbeat();
          await sleep(100);
        }
      } catch (err) {
        if (err instanceof CancelledFailure) deploySawCancellation = true;
        throw err;
      }
    };
    await withWorkers(ns, services, async (run) => {
      const handle = await startUpdate(ns, input);
      await waitFor(() => run.names().includes('deployer.deployConfiguration'), {
        description: 'the deploy activity to start',
        timeoutMs: 20_000,
      });
      await handle.cancel();
      const failure = await failureOf(handle);
      expect(failure.cause).toBeInstanceOf(CancelledFailure);
      expect(run.names().slice(3)).toEqual([
        'deployer.deployConfiguration', // the previous apps, after the cancelled attempt ended
        'dns.applyTenantRecords',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.inputsOf('setTenantStatus')).toEqual([
        expect.objectContaining({
          status: 'ready',
          outcome: expect.objectContaining({ status: 'cancelled' }),
        }),
      ]);
      await waitFor(() => deploySawCancellation, { description: 'the deploy activity to be cancelled' });
    });
  });
});
