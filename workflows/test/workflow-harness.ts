// Test harness for the tenant workflows: the workflow bundle, a private Temporal namespace per test
// file, fake activities that record their calls, and workers on the services' fixed task queues.
// Not part of the workflow bundle (workflows/src/index.ts); used by workflows/src/*.int-spec.ts.
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import {
  TaskQueue,
  type BackupActivities,
  type DeployerActivities,
  type DnsActivities,
  type MachineRef,
  type OperationProgressReport,
  type OperationStep,
  type ProvisionerActivities,
  type TenantApiActivities,
} from '@fedops/contracts';
import { openTemporalTestNamespace, type TemporalTestNamespace } from '@fedops/testing';
import { progressQuery } from '../src/operation-progress';

/** The workflow bundle's entry point: the same file the orchestration worker bundles. */
export const WORKFLOWS_ENTRY = join(__dirname, '..', 'src', 'index.ts');

/**
 * Bundles the workflows from source. `@fedops/contracts` is aliased to its TypeScript source so the
 * tests exercise the current contracts, not whatever was last built into libs/contracts/dist.
 */
export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  quietTemporalRuntime();
  const contractsSrc = join(dirname(realpathSync(require.resolve('@fedops/contracts/package.json'))), 'src');
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_ENTRY,
    logger: Runtime.instance().logger,
    webpackConfigHook: (config) => {
      const alias = config.resolve?.alias;
      if (Array.isArray(alias)) throw new Error('Unexpected array form of webpack resolve.alias');
      return {
        ...config,
        resolve: { ...config.resolve, alias: { ...alias, '@fedops/contracts$': contractsSrc } },
      };
    },
  });
}

let runtimeInstalled = false;

/** Worker and bundler logs at WARN and above only (worker state changes would drown the test output). */
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by someone else in this module registry: keep theirs.
  }
}

/** A private namespace on the test server, so no real service worker polls the task queues we use. */
export interface TestNamespace extends TemporalTestNamespace {
  readonly workerConnection: NativeConnection;
  readonly bundle: WorkflowBundleWithSourceMap;
}

export async function openTestNamespace(prefix: string): Promise<TestNamespace> {
  quietTemporalRuntime();
  const ns = await openTemporalTestNamespace(prefix);
  try {
    const [workerConnection, bundle] = await Promise.all([
      NativeConnection.connect({ address: ns.address }),
      bundleWorkflows(),
    ]);
    return {
      ...ns,
      workerConnection,
      bundle,
      close: async () => {
        try {
          await ns.close();
        } finally {
          await workerConnection.close();
        }
      },
    };
  } catch (error: unknown) {
    await ns.close();
    throw error;
  }
}

/** One fake implementation per service, shaped like the real activity interfaces. */
export interface FakeServices {
  provisioner: ProvisionerActivities;
  dns: DnsActivities;
  deployer: DeployerActivities;
  backup: BackupActivities;
  tenantApi: TenantApiActivities;
}

export type ServiceName = keyof FakeServices;

export interface ActivityCall {
  service: ServiceName;
  activity: string;
  input: unknown;
}

const SERVICE_QUEUES: Record<ServiceName, string> = {
  provisioner: TaskQueue.provisioner,
  dns: TaskQueue.dns,
  deployer: TaskQueue.deployer,
  backup: TaskQueue.backup,
  tenantApi: TaskQueue.tenantApi,
};

/** A plausible machine for a tenant (what the sandbox provider returns, minus real keys). */
export function fakeMachine(tenantId: string): MachineRef {
  return {
    machineId: `m-${tenantId}`,
    tenantId,
    provider: 'sandbox',
    providerId: '00000000-0000-4000-8000-000000000001',
    location: 'local',
    address: '10.213.7.9',
    sshPort: 22,
    sshUser: 'root',
    sshHostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyForWorkflowTests',
    fsRoot: '/',
    activation: 'sandbox-standin',
  };
}

/** Fakes that all succeed; override single activities per test with spread syntax. */
export function succeedingServices(): FakeServices {
  return {
    provisioner: {
      ensureMachine: async ({ tenantId }) => fakeMachine(tenantId),
      findMachines: async ({ tenantId }) => ({ machines: [fakeMachine(tenantId)] }),
      destroyMachine: async () => ({ destroyed: true }),
      reconcileMachines: async () => ({ checkedAt: new Date(0).toISOString(), providers: [], findings: [] }),
    },
    dns: {
      applyTenantRecords: async ({ hostnames, address }) =>
        hostnames.map((h) => ({ name: h.fqdn, type: 'A' as const, content: address, ttl: 300 })),
      removeTenantRecords: async () => ({ removed: 1 }),
    },
    deployer: {
      deployConfiguration: async ({ tenantId, apps, domain }) => ({
        deploymentId: `d-${tenantId}`,
        generation: 1,
        configHash: 'sha256-fake',
        apps: apps.map((a) => ({ app: a.app, healthy: true, url: `https://${a.app}.${domain}` })),
      }),
      removeDeployments: async () => ({ removed: 1 }),
      findDrift: async () => ({
        checkedAt: new Date(0).toISOString(),
        inSync: [],
        drifted: [],
        unreachable: [],
      }),
    },
    backup: {
      initRepository: async ({ tenantId }) => ({
        repositoryId: `r-${tenantId}`,
        location: `/srv/restic/${tenantId}`,
      }),
      deleteRepository: async () => ({ deleted: true }),
      backupApps: async ({ tenantId, operationId, apps, reason }) => ({
        snapshots: apps.map((app, i) => ({
          id: `${String(i).repeat(64)}`.slice(0, 64),
          tenantId,
          app,
          reason,
          operationId,
          takenAt: new Date(0).toISOString(),
          paths: [`/var/lib/${app}`],
          databases: [app],
          totalBytes: 1000,
          addedBytes: 100,
          files: 3,
          protected: reason !== 'manual' && reason !== 'scheduled',
        })),
        skipped: [],
      }),
      applyRetention: async () => ({ forgotten: [], checked: false }),
      purgeExpiredRepositories: async () => ({ purged: [] }),
      restoreApps: async ({ snapshotIds }) => ({
        restored: snapshotIds.map((snapshotId) => ({ app: 'gotosocial', snapshotId })),
      }),
    },
    tenantApi: {
      setTenantStatus: async () => undefined,
      recordOperationProgress: async () => undefined,
      cancelDeployment: async () => ({ cancelled: false }),
      recordDrift: async () => undefined,
      startScheduledBackup: async () => ({ skipped: 'not in workflow tests' }),
    },
  };
}

/** Wraps every fake so each call is recorded (in start order) before the fake runs. */
function recorded(
  services: FakeServices,
  calls: ActivityCall[],
): Record<ServiceName, Record<string, unknown>> {
  const out = {} as Record<ServiceName, Record<string, unknown>>;
  for (const service of Object.keys(services) as ServiceName[]) {
    const impl = services[service] as unknown as Record<string, (input: unknown) => Promise<unknown>>;
    out[service] = Object.fromEntries(
      Object.entries(impl).map(([activity, fn]) => [
        activity,
        (input: unknown) => {
          calls.push({ service, activity, input });
          return fn(input);
        },
      ]),
    );
  }
  return out;
}

export interface WorkerRun {
  /** Every activity call so far, in the order the activities started. */
  readonly calls: ActivityCall[];
  /** `service.activity` names of the calls, in order, without the progress reports between steps. */
  names(): string[];
  /** The steps (`name:status`) of each progress report, in order. */
  progressReports(): string[][];
  /** Inputs of the calls to one activity. */
  inputsOf(activity: string): unknown[];
}

/**
 * Runs the workflow worker and one activity worker per service (on the fixed queues of
 * TaskQueue, in the test namespace) while `body` runs, then shuts them all down.
 */
export async function withWorkers<T>(
  ns: TestNamespace,
  services: FakeServices,
  body: (run: WorkerRun) => Promise<T>,
): Promise<T> {
  const calls: ActivityCall[] = [];
  const activities = recorded(services, calls);
  const common = { connection: ns.workerConnection, namespace: ns.namespace };
  const workers = await Promise.all([
    Worker.create({ ...common, taskQueue: TaskQueue.workflows, workflowBundle: ns.bundle }),
    ...(Object.keys(SERVICE_QUEUES) as ServiceName[]).map((service) =>
      Worker.create({
        ...common,
        taskQueue: SERVICE_QUEUES[service],
        activities: activities[service],
        // Deliver heartbeats (and so cancellation) promptly instead of every 0.8 x heartbeatTimeout.
        maxHeartbeatThrottleInterval: '100 ms',
      }),
    ),
  ]);
  const run: WorkerRun = {
    calls,
    names: () =>
      calls.filter((c) => c.activity !== 'recordOperationProgress').map((c) => `${c.service}.${c.activity}`),
    progressReports: () =>
      calls
        .filter((c) => c.activity === 'recordOperationProgress')
        .map((c) => (c.input as OperationProgressReport).steps.map((s) => `${s.name}:${s.status}`)),
    inputsOf: (activity) => calls.filter((c) => c.activity === activity).map((c) => c.input),
  };
  const outcome = body(run);
  const results = await Promise.allSettled(workers.map((w) => w.runUntil(outcome)));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return outcome;
}

/** A unique tenant id per test, so workflow ids never collide. */
export function newTenantId(label: string): string {
  return `${label}-${randomBytes(3).toString('hex')}`;
}

/** A unique operation id: the workflow id of one run, as tenant-api gives it. */
export function newOperationId(label: string): string {
  return `op-${label}-${randomBytes(4).toString('hex')}`;
}

/** The progress query's steps of a tenant workflow, by name. */
export async function stepStatuses(handle: WorkflowHandle): Promise<Record<string, OperationStep>> {
  const progress = await handle.query(progressQuery);
  return Object.fromEntries(progress.steps.map((s) => [s.name, s]));
}

/** The workflow's failure, for asserting on its cause chain. */
export async function failureOf(handle: WorkflowHandle): Promise<WorkflowFailedError> {
  const error = await handle.result().then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof WorkflowFailedError))
    throw new Error(`Expected WorkflowFailedError, got ${String(error)}`);
  return error;
}
