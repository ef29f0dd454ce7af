import { activityInfo, CancelledFailure, heartbeat, sleep } from '@temporalio/activity';
import { ActivityFailure, ApplicationFailure, type WorkflowHandle } from '@temporalio/client';
import { TaskQueue, type DeployTenantInput } from '@fedops/contracts';
import { waitFor } from '@fedops/testing';

import { DEPLOY_STEPS, deployTenant, progressQuery } from './index';
import { recordHistory } from '../test/record-histories';
import {
  fakeMachine,
  newOperationId,
  newTenantId,
  failureOf,
  openTestNamespace,
  stepStatuses,
  succeedingServices,
  withWorkers,
  type FakeServices,
  type TestNamespace,
} from '../test/workflow-harness';

function deployInput(tenantId: string): DeployTenantInput {
  const domain = `${tenantId}.example.test`;
  return {
    tenantId,
    orgId: 'org-wf-tests',
    domain,
    apps: [{ app: 'mastodon', options: { registrations: false } }],
    hostnames: [{ app: 'mastodon', fqdn: `social.${domain}`, port: 3000 }],
    provider: 'sandbox',
  };
}

function startDeploy(
  ns: TestNamespace,
  input: DeployTenantInput,
): Promise<WorkflowHandle<typeof deployTenant>> {
  return ns.client.workflow.start(deployTenant, {
    taskQueue: TaskQueue.workflows,
    workflowId: newOperationId(input.tenantId),
    args: [input],
  });
}

const healthCheckFails = (services: FakeServices): FakeServices => ({
  ...services,
  deployer: {
    ...services.deployer,
    deployConfiguration: async () => {
      throw ApplicationFailure.nonRetryable('boom', 'HEALTH_CHECK_FAILED');
    },
  },
});

describe('deployTenant workflow', () => {
  let ns: TestNamespace;

  beforeAll(async () => {
    ns = await openTestNamespace('wf-deploy');
  });
  afterAll(async () => {
    await ns?.close();
  });

  it('runs provision, dns and deploy in order with backup alongside, passing the machine on, and marks the tenant ready', async () => {
    const input = deployInput(newTenantId('ok'));
    const { tenantId } = input;
    const machine = fakeMachine(tenantId);
    const services = succeedingServices();
    // The repository is only made once the configuration is being deployed: run one after the
    // other, the two steps would wait for each other until the test's deadline.
    const initRepository = services.backup.initRepository;
    let deployStarted = false;
    const deployConfiguration = services.deployer.deployConfiguration;
    services.deployer.deployConfiguration = async (deployment) => {
      deployStarted = true;
      return deployConfiguration(deployment);
    };
    services.backup.initRepository = async (repository) => {
      await waitFor(() => deployStarted, { description: 'the deploy step to start', timeoutMs: 20_000 });
      return initRepository(repository);
    };

    await withWorkers(ns, services, async (run) => {
      const handle = await startDeploy(ns, input);
      const result = await handle.result();
      await recordHistory(handle, 'deploy-tenant-succeeded');

      expect(run.names().filter((n) => !n.startsWith('backup.'))).toEqual([
        'provisioner.ensureMachine',
        'dns.applyTenantRecords',
        'deployer.deployConfiguration',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.names().filter((n) => n.startsWith('backup.'))).toEqual(['backup.initRepository']);
      expect(run.inputsOf('ensureMachine')).toEqual([{ tenantId, provider: 'sandbox' }]);
      expect(run.inputsOf('applyTenantRecords')).toEqual([
        { tenantId, domain: input.domain, hostnames: input.hostnames, address: machine.address },
      ]);
      expect(run.inputsOf('deployConfiguration')).toEqual([
        { tenantId, domain: input.domain, apps: input.apps, machine },
      ]);
      expect(run.inputsOf('initRepository')).toEqual([{ tenantId }]);
      expect(run.inputsOf('setTenantStatus')).toEqual([
        {
          tenantId,
          status: 'ready',
          operationId: handle.workflowId,
          outcome: { status: 'succeeded' },
          steps: DEPLOY_STEPS.map((name) => expect.objectContaining({ name, status: 'succeeded' })),
        },
      ]);
      // Each step's start and end reach tenant-api: the machine's steps one after the other, backup
      // running while they do.
      const reports = run.progressReports();
      const chain = reports.map((r) => r.slice(0, 3).join(' ')).filter((r, i, all) => r !== all[i - 1]);
      expect(chain).toEqual([
        'provision:running dns:pending deploy:pending',
        'provision:succeeded dns:pending deploy:pending',
        'provision:succeeded dns:running deploy:pending',
        'provision:succeeded dns:succeeded deploy:pending',
        'provision:succeeded dns:succeeded deploy:running',
        'provision:succeeded dns:succeeded deploy:succeeded',
      ]);
      expect(reports.some((r) => r[0] === 'provision:running' && r[3] === 'backup:running')).toBe(true);
      expect(reports.at(-1)).toEqual([
        'provision:succeeded',
        'dns:succeeded',
        'deploy:succeeded',
        'backup:succeeded',
      ]);
      expect(result.machine).toEqual(machine);
      expect(result.deployment).toMatchObject({ deploymentId: `d-${tenantId}`, generation: 1 });

      const progress = await handle.query(progressQuery);
      expect(progress.kind).toBe('deployTenant');
      expect(progress.tenantId).toBe(tenantId);
      expect(progress.steps.map((s) => [s.name, s.status])).toEqual(
        DEPLOY_STEPS.map((n) => [n, 'succeeded']),
      );
      for (const step of progress.steps) {
        expect(step.startedAt).toEqual(expect.any(String));
        expect(step.finishedAt).toEqual(expect.any(String));
        expect(step.error).toBeUndefined();
      }
    });
  });

  it('undoes deploy (which may have half-happened), dns and provision in reverse when deploy fails permanently, then fails', async () => {
    const input = deployInput(newTenantId('deployfail'));
    const { tenantId } = input;

    await withWorkers(ns, healthCheckFails(succeedingServices()), async (run) => {
      const handle = await startDeploy(ns, input);
      const failure = await failureOf(handle);
      await recordHistory(handle, 'deploy-tenant-compensated');

      expect(failure.cause).toBeInstanceOf(ActivityFailure);
      expect(failure.cause?.cause).toBeInstanceOf(ApplicationFailure);
      expect((failure.cause?.cause as ApplicationFailure).type).toBe('HEALTH_CHECK_FAILED');
      expect(run.names().filter((n) => n !== 'backup.initRepository')).toEqual([
        'provisioner.ensureMachine',
        'dns.applyTenantRecords',
        'deployer.deployConfiguration', // once: non-retryable
        'deployer.removeDeployments', // the failed step's own undo (idempotent)
        'dns.removeTenantRecords',
        'backup.deleteRepository', // made alongside provision, undone just before it
        'provisioner.destroyMachine',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.inputsOf('removeTenantRecords')).toEqual([{ tenantId }]);
      expect(run.inputsOf('destroyMachine')).toEqual([{ tenantId, provider: 'sandbox' }]);
      expect(run.inputsOf('setTenantStatus')).toEqual([
        {
          tenantId,
          status: 'failed',
          operationId: handle.workflowId,
          outcome: {
            status: 'failed',
            failedStep: 'deploy',
            errorType: 'HEALTH_CHECK_FAILED',
            errorDetail: 'boom',
          },
          steps: [
            expect.objectContaining({ name: 'provision', status: 'compensated' }),
            expect.objectContaining({ name: 'dns', status: 'compensated' }),
            expect.objectContaining({ name: 'deploy', status: 'failed', error: 'boom' }),
            expect.objectContaining({ name: 'backup', status: 'compensated' }),
          ],
        },
      ]);
      // The failure is reported once, with the outcome, not as a progress report.
      expect(run.progressReports().at(-1)?.slice(0, 3)).toEqual([
        'provision:succeeded',
        'dns:succeeded',
        'deploy:running',
      ]);

      const steps = await stepStatuses(handle);
      expect(steps['provision']?.status).toBe('compensated');
      expect(steps['dns']?.status).toBe('compensated');
      expect(steps['deploy']?.status).toBe('failed');
      expect(steps['deploy']?.error).toContain('boom');
      expect(steps['backup']?.status).toBe('compensated');
    });
  });

  it('also removes the deployment when a later step (backup) fails', async () => {
    const input = deployInput(newTenantId('backupfail'));
    const services = succeedingServices();
    services.backup.initRepository = async () => {
      throw ApplicationFailure.nonRetryable('restic repository unreachable', 'CONFIGURATION_INVALID');
    };

    await withWorkers(ns, services, async (run) => {
      const handle = await startDeploy(ns, input);
      await failureOf(handle);

      // Compensation waits for the machine's steps to end, then undoes every step, the failed one included.
      const names = run.names().filter((n) => n !== 'backup.initRepository');
      expect(names.slice(3)).toEqual([
        'deployer.removeDeployments',
        'dns.removeTenantRecords',
        'backup.deleteRepository',
        'provisioner.destroyMachine',
        'tenantApi.setTenantStatus',
      ]);
      const steps = await stepStatuses(handle);
      expect([steps['provision'], steps['dns'], steps['deploy']].map((s) => s?.status)).toEqual([
        'compensated',
        'compensated',
        'compensated',
      ]);
      expect(steps['backup']?.status).toBe('failed');
    });
  });

  it('keeps compensating when one compensation throws', async () => {
    const input = deployInput(newTenantId('undofail'));
    const services = healthCheckFails(succeedingServices());
    services.dns.removeTenantRecords = async () => {
      throw ApplicationFailure.nonRetryable('dns provider refused', 'PROVIDER_UNAVAILABLE');
    };

    await withWorkers(ns, services, async (run) => {
      const handle = await startDeploy(ns, input);
      await failureOf(handle);

      expect(
        run
          .names()
          .filter((n) => n !== 'backup.initRepository')
          .slice(3),
      ).toEqual([
        'deployer.removeDeployments',
        'dns.removeTenantRecords',
        'backup.deleteRepository',
        'provisioner.destroyMachine',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.inputsOf('setTenantStatus')).toEqual([expect.objectContaining({ status: 'failed' })]);
      const steps = await stepStatuses(handle);
      expect(steps['provision']?.status).toBe('compensated');
      expect(steps['dns']?.status).not.toBe('compensated');
    });
  });

  it('compensates and records "cancelled" when cancelled while deploy runs', async () => {
    const input = deployInput(newTenantId('cancel'));
    const services = succeedingServices();
    let deploySawCancellation = false;
    services.deployer.deployConfiguration = async () => {
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
      const handle = await startDeploy(ns, input);
      await waitFor(async () => (await stepStatuses(handle))['deploy']?.status === 'running', {
        description: 'the deploy step to run',
        timeoutMs: 20_000,
      });
      await waitFor(() => run.names().includes('deployer.deployConfiguration'), {
        description: 'the deploy activity to start',
        timeoutMs: 20_000,
      });
      await handle.cancel();

      const failure = await failureOf(handle);
      await recordHistory(handle, 'deploy-tenant-cancelled');
      expect(failure.cause).toBeInstanceOf(CancelledFailure);
      expect(
        run
          .names()
          .filter((n) => n !== 'backup.initRepository')
          .slice(3),
      ).toEqual([
        'deployer.removeDeployments', // after the cancelled deploy attempt has ended
        'dns.removeTenantRecords',
        'backup.deleteRepository',
        'provisioner.destroyMachine',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.inputsOf('setTenantStatus')).toEqual([
        expect.objectContaining({
          tenantId: input.tenantId,
          status: 'failed',
          operationId: handle.workflowId,
          outcome: { status: 'cancelled', failedStep: 'deploy', errorDetail: 'cancelled' },
        }),
      ]);
      const steps = await stepStatuses(handle);
      expect([steps['provision'], steps['dns'], steps['deploy']].map((s) => s?.status)).toEqual([
        'compensated',
        'compensated',
        'failed',
      ]);
      await waitFor(() => deploySawCancellation, { description: 'the deploy activity to be cancelled' });
    });
  });

  it('retries a transient activity failure and succeeds', async () => {
    const input = deployInput(newTenantId('flaky'));
    const services = succeedingServices();
    const succeed = services.deployer.deployConfiguration;
    services.deployer.deployConfiguration = async (deployment) => {
      if (activityInfo().attempt === 1) throw new Error('connection reset by machine');
      return succeed(deployment);
    };

    await withWorkers(ns, services, async (run) => {
      const handle = await startDeploy(ns, input);
      await handle.result();

      expect(run.names().filter((n) => n !== 'backup.initRepository')).toEqual([
        'provisioner.ensureMachine',
        'dns.applyTenantRecords',
        'deployer.deployConfiguration',
        'deployer.deployConfiguration',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.names().filter((n) => n === 'backup.initRepository')).toHaveLength(1);
      expect(run.inputsOf('setTenantStatus')).toEqual([expect.objectContaining({ status: 'ready' })]);
      const steps = await stepStatuses(handle);
      expect(Object.values(steps).map((s) => s.status)).toEqual(DEPLOY_STEPS.map(() => 'succeeded'));
    });
  });
});
