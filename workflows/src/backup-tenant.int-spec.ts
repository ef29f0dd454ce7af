import { ApplicationFailure, type WorkflowHandle } from '@temporalio/client';
import { TaskQueue, type BackupTenantInput, type RestoreTenantInput } from '@fedops/contracts';

import { BACKUP_STEPS, RESTORE_STEPS, backupTenant, restoreTenant } from './index';
import { recordHistory } from '../test/record-histories';
import {
  fakeMachine,
  failureOf,
  newOperationId,
  newTenantId,
  openTestNamespace,
  succeedingServices,
  withWorkers,
  type TestNamespace,
} from '../test/workflow-harness';

const SNAPSHOT = 'a'.repeat(64);

/** The messages of a failure and its causes, joined: the activity's own words are in a cause. */
function causeMessages(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(' <- ');
}

function backupInput(tenantId: string): BackupTenantInput {
  return { tenantId, orgId: 'org-wf-tests', apps: ['gotosocial', 'jitsi'], reason: 'manual' };
}

function restoreInput(tenantId: string): RestoreTenantInput {
  return { tenantId, orgId: 'org-wf-tests', snapshotIds: [SNAPSHOT], strategy: 'safe' };
}

function start<W extends typeof backupTenant | typeof restoreTenant>(
  ns: TestNamespace,
  workflow: W,
  input: Parameters<W>[0],
): Promise<WorkflowHandle<W>> {
  return ns.client.workflow.start(workflow, {
    taskQueue: TaskQueue.workflows,
    workflowId: newOperationId(input.tenantId),
    args: [input] as Parameters<W>,
  });
}

describe('backupTenant and restoreTenant workflows', () => {
  let ns: TestNamespace;

  beforeAll(async () => {
    ns = await openTestNamespace('wf-backup');
  });
  afterAll(async () => {
    await ns?.close();
  });

  it('backs up the apps on the machine the tenant has (never a new one) and leaves the tenant ready', async () => {
    const input = backupInput(newTenantId('bk-ok'));
    const { tenantId } = input;
    await withWorkers(ns, succeedingServices(), async (run) => {
      const handle = await start(ns, backupTenant, input);
      const result = await handle.result();
      expect(result.snapshots.map((s) => s.app)).toEqual(['gotosocial', 'jitsi']);
      expect(run.names()).toEqual([
        'provisioner.findMachines',
        'backup.backupApps',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.inputsOf('backupApps')).toEqual([
        {
          tenantId,
          operationId: handle.workflowId,
          machine: fakeMachine(tenantId),
          apps: ['gotosocial', 'jitsi'],
          reason: 'manual',
        },
      ]);
      const [status] = run.inputsOf('setTenantStatus') as Array<{
        status: string;
        outcome: { status: string };
      }>;
      expect([status?.status, status?.outcome.status]).toEqual(['ready', 'succeeded']);
      expect(run.progressReports().at(-1)).toEqual(BACKUP_STEPS.map((s) => `${s}:succeeded`));
      await recordHistory(handle, 'backup-tenant-succeeded');
    });
  });

  it('fails without a machine, naming the step, and never creates one', async () => {
    const input = backupInput(newTenantId('bk-nomachine'));
    const services = succeedingServices();
    services.provisioner.findMachines = async () => ({ machines: [] });
    await withWorkers(ns, services, async (run) => {
      const handle = await start(ns, backupTenant, input);
      expect(causeMessages(await failureOf(handle))).toContain('has no machine');
      expect(run.names()).toEqual(['provisioner.findMachines', 'tenantApi.setTenantStatus']);
      const [status] = run.inputsOf('setTenantStatus') as Array<{
        status: string;
        outcome: { status: string; failedStep?: string; errorType?: string };
      }>;
      expect([
        status?.status,
        status?.outcome.status,
        status?.outcome.failedStep,
        status?.outcome.errorType,
      ]).toEqual(['ready', 'failed', 'machine', 'NOT_FOUND']);
    });
  });

  it('restores the snapshots on the machine; a failed restore is reported on the step, the tenant ready again', async () => {
    const ok = restoreInput(newTenantId('rs-ok'));
    await withWorkers(ns, succeedingServices(), async (run) => {
      const handle = await start(ns, restoreTenant, ok);
      expect((await handle.result()).restored).toEqual([{ app: 'gotosocial', snapshotId: SNAPSHOT }]);
      expect(run.names()).toEqual([
        'provisioner.findMachines',
        'backup.restoreApps',
        'tenantApi.setTenantStatus',
      ]);
      expect(run.inputsOf('restoreApps')).toEqual([
        {
          tenantId: ok.tenantId,
          operationId: handle.workflowId,
          machine: fakeMachine(ok.tenantId),
          snapshotIds: [SNAPSHOT],
          strategy: 'safe',
        },
      ]);
      await recordHistory(handle, 'restore-tenant-succeeded');
    });

    const bad = restoreInput(newTenantId('rs-nospace'));
    const services = succeedingServices();
    services.backup.restoreApps = async () => {
      throw ApplicationFailure.nonRetryable(
        'restore of gotosocial: not enough free space on the machine',
        'CONFLICT',
      );
    };
    await withWorkers(ns, services, async (run) => {
      const handle = await start(ns, restoreTenant, bad);
      expect(causeMessages(await failureOf(handle))).toContain('not enough free space');
      const [status] = run.inputsOf('setTenantStatus') as Array<{
        status: string;
        outcome: { failedStep?: string; errorType?: string };
        steps: Array<{ name: string; status: string }>;
      }>;
      expect([status?.status, status?.outcome.failedStep, status?.outcome.errorType]).toEqual([
        'ready',
        'restore',
        'CONFLICT',
      ]);
      expect(status?.steps.map((s) => `${s.name}:${s.status}`)).toEqual(
        RESTORE_STEPS.map((s) => `${s}:${s === 'restore' ? 'failed' : 'succeeded'}`),
      );
      await recordHistory(handle, 'restore-tenant-failed');
    });
  });
});
