/**
 * `npm run bench -- providers [N] [hetzner|digitalocean|proxmox ...]`: on each provider's simulator,
 * N machines created at once then deleted at once through the real retry path (N workflows on a
 * Temporal dev server, each calling a create then a delete activity with the production activity
 * options, the activities calling the production driver on a worker built like the provisioner's),
 * with and without 10 % of the calls failing (5xx and 429). Prints duplicates and orphans (must be 0)
 * and the time with faults against the time without (goal: at most 1.3x). See bench/README.md.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { OWNER_LABELS, type MachineSpec } from '@fedops/provisioner/dist/drivers/resource-provider.driver';
import { generateHostKeyPair } from '@fedops/provisioner/dist/machines/host-keys';
import { isHostName, run } from '@fedops/sandbox-host';
import { JsonLogger, ServiceMetrics, TemporalWorkerHost } from '@fedops/service-kit';
import type { FaultRule } from '@fedops/simulators';
import { repoRoot, startInfrastructure, type EndpointsFor, type Infrastructure } from '@fedops/testing';
import { describe } from '../tenant-round';
import { callsBetween, HttpCallCounter } from './http-calls';
import { createThenDeleteMachine, deleteMachineSignal } from './machine-life.workflow';
import { AttemptCounts, createMachineActivities } from './machine.activities';
import {
  countDuplicates,
  FAULT_RATIO_GOAL,
  parseProviderArgs,
  renderRunsTable,
  renderSummaryTable,
  runOrder,
  summarizeProvider,
  summaryProblems,
  type ProviderRun,
  type ProviderSummary,
} from './provider-report';
import {
  PROVIDER_KINDS,
  SANDBOX_PREFIXES,
  startTarget,
  type ProviderKind,
  type ProviderTarget,
} from './provider-targets';

const WORKFLOW_TASK_QUEUE = 'fedops-bench-providers';
const DEFAULT_MACHINES = 50;
const WARM_UP_MACHINES = 2;
/** How often the simulator's VMs are counted during a create phase, for duplicates. */
const SAMPLE_MS = 200;

/**
 * 10 % of the calls fail: 5 % with the vendor's 5xx, then 5 % of the rest with its 429 (Proxmox,
 * which has no rate limit, answers its 503 instead); every vendor path, any method, no end.
 */
const FAULT_RULES: FaultRule[] = [
  { kind: 'server-error', probability: 0.05, times: 0 },
  { kind: 'rate-limit', probability: 0.05, times: 0 },
];

interface BenchConfig {
  machines: number;
  kinds: ProviderKind[];
  pairs: number;
  bootDelayMs: number;
  pollIntervalMs: number;
  deadlineMs: number;
}

function readConfig(): BenchConfig {
  const { machines, kinds } = parseProviderArgs(process.argv.slice(2), PROVIDER_KINDS, DEFAULT_MACHINES);
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const raw = process.env[name];
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`${name} must be an integer ${min}..${max}`);
    return n;
  };
  return {
    machines,
    kinds,
    pairs: number('FEDOPS_BENCH_PROVIDER_PAIRS', 2, 1, 10),
    bootDelayMs: number('FEDOPS_BENCH_BOOT_DELAY_MS', 1000, 0, 60_000),
    // The provisioner's own default (FEDOPS_PROVIDER_POLL_INTERVAL_MS), which it passes to every driver.
    pollIntervalMs: number('FEDOPS_BENCH_PROVIDER_POLL_MS', 2000, 50, 60_000),
    deadlineMs: number('FEDOPS_BENCH_DEADLINE_MINUTES', 40, 1, 600) * 60_000,
  };
}

/** One provider under test and what its runs share. */
interface Bench {
  target: ProviderTarget;
  client: Client;
  activityTaskQueue: string;
  calls: HttpCallCounter;
  counts: AttemptCounts;
  specs: Map<string, MachineSpec>;
  /** Set per run: told of every create attempt that succeeded. */
  onCreated: (machineId: string, attempt: number) => void;
  platformKey: string;
  signal: AbortSignal;
}

async function main(): Promise<number> {
  const config = readConfig();
  const root = repoRoot();
  const workDir = await mkdtemp(join(tmpdir(), 'fedops-bench-providers-'));
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new Error(`deadline of ${config.deadlineMs / 60_000} min passed`)),
    config.deadlineMs,
  );
  const onSignal = (): void => deadline.abort(new Error('interrupted'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const logFile = join(workDir, 'workers.log');
  const log = createWriteStream(logFile);
  // The workers log as the services do (JSON lines), warnings up: every failed attempt is one.
  const logger = new JsonLogger('bench-providers', 'warn', (line) => log.write(line + '\n'));
  const problems: string[] = [];
  const runs: ProviderRun[] = [];
  const settings: Record<string, Record<string, unknown>> = {};
  let infra: Infrastructure<EndpointsFor<'temporal'>> | undefined;
  let client: Client | undefined;
  let workflowWorker: TemporalWorkerHost | undefined;
  const onFatal = (err: unknown): void => {
    problems.push(`a worker stopped: ${describe(err)}`);
    deadline.abort(err);
  };

  try {
    say(
      `N=${config.machines}; providers ${config.kinds.join(', ')}; ${config.pairs} pair(s) of runs each; ` +
        `boot delay ${config.bootDelayMs} ms; driver poll ${config.pollIntervalMs} ms; work dir ${workDir}`,
    );
    say('starting a Temporal dev server (ephemeral, free ports)');
    infra = await startInfrastructure({
      dataDir: join(workDir, 'infra'),
      ephemeral: true,
      components: ['temporal'],
    });
    const { address, namespace } = infra.endpoints.temporal;
    client = new Client({ connection: await Connection.connect({ address }), namespace });
    say('starting the workflow worker (bundles the benchmark workflow)');
    workflowWorker = new TemporalWorkerHost(
      {
        address,
        namespace,
        taskQueue: WORKFLOW_TASK_QUEUE,
        activities: {},
        workflowsPath: require.resolve('./machine-life.workflow'),
      },
      new ServiceMetrics('bench-workflows', false),
      logger,
      onFatal,
    );
    await workflowWorker.start();

    for (const kind of config.kinds) {
      if (deadline.signal.aborted) break;
      const outcome = await benchProvider(kind, config, {
        workDir,
        address,
        namespace,
        client,
        logger,
        onFatal,
        signal: deadline.signal,
      });
      runs.push(...outcome.runs);
      problems.push(...outcome.problems);
      settings[kind] = outcome.settings;
    }
    if (deadline.signal.aborted) problems.push(`stopped early: ${describe(deadline.signal.reason)}`);
  } catch (err) {
    problems.push(`benchmark failed: ${describe(err)}`);
  } finally {
    clearTimeout(timer);
    await workflowWorker
      ?.stop()
      .catch((err: unknown) => problems.push(`workflow worker stop: ${describe(err)}`));
    await client?.connection.close().catch(() => undefined);
    await infra?.stop().catch((err: unknown) => problems.push(`Temporal stop: ${describe(err)}`));
    await new Promise<void>((resolve) => log.end(resolve));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const summaries = config.kinds
    .map((kind) => summarizeProvider(runs.filter((r) => r.kind === kind)))
    .filter((s): s is ProviderSummary => s !== undefined);
  for (const s of summaries) problems.push(...summaryProblems(s));
  if (runs.length > 0) process.stdout.write(`\nruns, in the order they ran\n\n${renderRunsTable(runs)}\n`);
  if (summaries.length > 0) {
    process.stdout.write(
      `\n${config.machines} machines created at once, then deleted at once; faults on = 10 % of calls ` +
        `fail (5xx, 429); medians of ${config.pairs} run(s) each\n\n${renderSummaryTable(summaries)}\n\n`,
    );
  }
  const resultFile = await writeResults(root, { config, settings, runs, summaries, problems });
  say(`results written to ${resultFile}`);
  if (problems.length > 0) {
    process.stderr.write(`\nPROBLEMS:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    say(`worker logs kept in ${logFile}`);
    return 1;
  }
  await rm(workDir, { recursive: true, force: true });
  return 0;
}

interface Shared {
  workDir: string;
  address: string;
  namespace: string;
  client: Client;
  logger: JsonLogger;
  onFatal: (err: unknown) => void;
  signal: AbortSignal;
}

/** A provider's warm-up and measured runs, between starting and closing its simulator. */
async function benchProvider(
  kind: ProviderKind,
  config: BenchConfig,
  shared: Shared,
): Promise<{
  runs: ProviderRun[];
  problems: string[];
  settings: Record<string, unknown>;
}> {
  const runs: ProviderRun[] = [];
  const problems: string[] = [];
  say(
    `${kind}: starting the simulator (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );
  const target = await startTarget(kind, {
    dir: join(shared.workDir, 'simulators'),
    bootDelayMs: config.bootDelayMs,
    pollIntervalMs: config.pollIntervalMs,
    machines: config.machines,
  });
  const calls = new HttpCallCounter(new URL(target.sim.url).origin);
  const counts = new AttemptCounts();
  const activityTaskQueue = `${WORKFLOW_TASK_QUEUE}-${kind}`;
  const bench: Bench = {
    target,
    client: shared.client,
    activityTaskQueue,
    calls,
    counts,
    specs: new Map(),
    onCreated: () => undefined,
    platformKey: (await generateHostKeyPair('fedops-platform')).publicKey,
    signal: shared.signal,
  };
  // The provisioner's worker, as service-kit builds it: 20 activities at once, heartbeats, and
  // domain errors mapped to Temporal failures (ProviderError.retryable -> nonRetryable).
  const activityWorker = new TemporalWorkerHost(
    {
      address: shared.address,
      namespace: shared.namespace,
      taskQueue: activityTaskQueue,
      activities: createMachineActivities({
        driver: target.driver,
        specOf: (machineId) => {
          const spec = bench.specs.get(machineId);
          if (spec === undefined) throw new Error(`no spec for machine ${machineId}`);
          return spec;
        },
        onCreated: (machineId, _providerId, attempt) => bench.onCreated(machineId, attempt),
        counts,
      }),
    },
    new ServiceMetrics(`bench-${kind}`, false),
    shared.logger,
    shared.onFatal,
  );
  try {
    await activityWorker.start();
    say(`${kind}: warm-up, ${WARM_UP_MACHINES} machines (not reported)`);
    const warm = await measureRun(bench, false, Math.min(WARM_UP_MACHINES, config.machines));
    if (warm.errors.length > 0 || warm.orphans > 0 || warm.duplicates > 0)
      problems.push(`${kind}: warm-up: ${warm.errors.join('; ') || 'duplicates or orphans'}`);
    for (const faults of runOrder(config.pairs)) {
      if (shared.signal.aborted) break;
      say(`${kind}: ${config.machines} machines, faults ${faults ? 'on' : 'off'}`);
      const result = await measureRun(bench, faults, config.machines);
      runs.push(result);
      say(
        `${kind}: created ${result.created}/${result.machines} in ${Math.round(result.createMs)} ms, ` +
          `deleted ${result.deleted} in ${Math.round(result.deleteMs)} ms; ${result.calls} calls, ` +
          `${result.injected.serverError + result.injected.rateLimit} failed by injection; ` +
          `${result.duplicates} duplicates, ${result.orphans} orphans; load average ${loadavg()[0]!.toFixed(1)}`,
      );
      for (const orphan of result.orphanDetails) problems.push(`${kind}: ${orphan}`);
      for (const error of result.errors.slice(0, 5)) problems.push(`${kind}: ${error}`);
      if (result.errors.length > 5) problems.push(`${kind}: ... and ${result.errors.length - 5} more`);
    }
  } catch (err) {
    problems.push(`${kind}: ${describe(err)}`);
  } finally {
    await activityWorker
      .stop()
      .catch((err: unknown) => problems.push(`${kind} worker stop: ${describe(err)}`));
    calls.close();
    await target.sim
      .close({ destroyMachines: true })
      .catch((err: unknown) => problems.push(`${kind} simulator close: ${describe(err)}`));
    problems.push(...(await awaitNoSandboxMachines(kind)));
  }
  return {
    runs,
    problems,
    settings: target.settings,
  };
}

/** N workflows at once: all creates, the count of what exists, all deletes, the count of what is left. */
async function measureRun(bench: Bench, faults: boolean, machines: number): Promise<ProviderRun> {
  const { target, counts } = bench;
  const specs = await makeSpecs(bench, machines);
  bench.specs.clear();
  for (const spec of specs) bench.specs.set(spec.machineId, spec);
  counts.reset();
  const created = new Map<string, () => void>();
  const done = new Map<string, number>();
  const attempts: number[] = [];
  let started = performance.now();
  bench.onCreated = (machineId, attempt) => {
    if (done.has(machineId)) return;
    done.set(machineId, performance.now() - started);
    attempts.push(attempt);
    created.get(machineId)?.();
  };
  const firedBefore = { ...target.sim.faults.fired };
  const callsBefore = bench.calls.snapshot();
  if (faults) for (const rule of FAULT_RULES) target.sim.faults.add(rule);

  let handles: Array<WorkflowHandle<typeof createThenDeleteMachine>> = [];
  let maxDuplicates = 0;
  const sampler = setInterval(() => {
    maxDuplicates = Math.max(maxDuplicates, countDuplicates(target.machineIds()).duplicates);
  }, SAMPLE_MS);
  const errors: string[] = [];
  let createMs = 0;
  let deleteMs = 0;
  let unlabelled = 0;
  let deleted = 0;
  try {
    started = performance.now();
    handles = await Promise.all(
      specs.map((spec) =>
        bench.client.workflow.start(createThenDeleteMachine, {
          taskQueue: WORKFLOW_TASK_QUEUE,
          workflowId: `bench-machine-${spec.machineId}`,
          args: [{ machineId: spec.machineId, activityTaskQueue: bench.activityTaskQueue }],
          workflowExecutionTimeout: '30 minutes',
        }),
      ),
    );
    const results = handles.map((h) => h.result());
    // A create is over when an attempt succeeded, or when its workflow failed (attempts used up).
    const createOutcomes = specs.map(
      (spec, i) =>
        new Promise<boolean>((resolve) => {
          created.set(spec.machineId, () => resolve(true));
          if (done.has(spec.machineId)) resolve(true);
          results[i]!.then(
            () => resolve(true),
            () => resolve(false),
          );
        }),
    );
    const createdOk = await untilAborted(Promise.all(createOutcomes), bench.signal);
    createMs = performance.now() - started;
    clearInterval(sampler);
    const final = countDuplicates(target.machineIds());
    maxDuplicates = Math.max(maxDuplicates, final.duplicates);
    unlabelled = final.unlabelled;

    const deleting = performance.now();
    const signalled = await Promise.allSettled(
      handles.map((h, i) => (createdOk[i] ? h.signal(deleteMachineSignal) : Promise.resolve())),
    );
    for (const s of signalled)
      if (s.status === 'rejected') errors.push(`delete signal: ${describe(s.reason)}`);
    const outcomes = await untilAborted(Promise.allSettled(results), bench.signal);
    deleteMs = performance.now() - deleting;
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') deleted += 1;
      else errors.push(`machine ${specs[i]!.machineId}: ${describe(outcome.reason)}`);
    });
  } catch (err) {
    errors.push(`run stopped: ${describe(err)}`);
    await Promise.all(handles.map((h) => h.terminate('benchmark stopped').catch(() => undefined)));
  } finally {
    clearInterval(sampler);
    target.sim.faults.clear();
  }

  const left = target.sim.vms();
  const orphanDetails: string[] = [];
  for (const vm of left) {
    const labels = Object.entries(vm.labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`));
    orphanDetails.push(
      `orphan ${vm.id} (${vm.name || 'nameless'}, ${vm.status}, labels: ${labels.join(' ') || 'none'})`,
    );
  }
  if (left.length > 0)
    await removeLeftovers(
      bench,
      left.map((vm) => vm.id),
      orphanDetails,
    );
  const calls = callsBetween(callsBefore, bench.calls.snapshot());
  const fired = target.sim.faults.fired;
  return {
    kind: target.kind,
    faults,
    machines,
    created: done.size,
    deleted,
    createMs,
    deleteMs,
    machineCreateMs: [...done.values()],
    createAttempts: attempts,
    calls: calls.calls,
    answered5xx: calls.answered5xx,
    answered429: calls.answered429,
    injected: {
      serverError: fired['server-error'] - firedBefore['server-error'],
      rateLimit: fired['rate-limit'] - firedBefore['rate-limit'],
    },
    attempts: { create: counts.create, delete: counts.delete },
    failedAttempts: { create: counts.failedCreate, delete: counts.failedDelete },
    duplicates: maxDuplicates,
    unlabelled,
    orphans: left.length,
    failureKinds: Object.fromEntries(counts.failureKinds),
    errors,
    orphanDetails,
  };
}

/** The machines of a run, made before it starts: ids, names, labels and pinned host keys. */
async function makeSpecs(bench: Bench, count: number): Promise<MachineSpec[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index): Promise<MachineSpec> => {
      const machineId = randomUUID();
      return {
        machineId,
        name: `bp-${machineId.slice(0, 8)}`,
        ...bench.target.placement(index),
        sshAuthorizedKeys: [bench.platformKey],
        hostKey: await generateHostKeyPair(),
        labels: {
          [OWNER_LABELS.machineId]: machineId,
          [OWNER_LABELS.tenantId]: randomUUID(),
          [OWNER_LABELS.platform]: 'fedops-bench',
        },
      };
    }),
  );
}

/** Orphans (counted already) are deleted through the driver, faults off, so the next run starts empty. */
async function removeLeftovers(bench: Bench, ids: string[], errors: string[]): Promise<void> {
  await Promise.all(
    ids.map((id) =>
      bench.target.driver
        .delete(id, { signal: AbortSignal.timeout(5 * 60_000), heartbeat: () => undefined })
        .catch((err: unknown) => errors.push(`leftover ${id} not deleted: ${describe(err)}`)),
    ),
  );
}

async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * After the simulator's close({destroyMachines}), no namespace of its prefix may remain. On a loaded
 * machine some have been seen to linger after close resolved and vanish within a minute: that is
 * said, and only namespaces still there after a minute are a problem.
 */
async function awaitNoSandboxMachines(kind: ProviderKind): Promise<string[]> {
  const prefix = SANDBOX_PREFIXES[kind];
  const first = await sandboxNamespaces(prefix);
  if (first.length === 0) return [];
  const since = performance.now();
  let left = first;
  while (left.length > 0 && performance.now() - since < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    left = await sandboxNamespaces(prefix);
  }
  if (left.length > 0)
    return [`${kind}: ${left.length} sandbox machine(s) left a minute after close: ${left.join(', ')}`];
  say(
    `${kind}: ${first.length} sandbox namespace(s) were still listed when close() resolved; ` +
      `gone ${Math.round(performance.now() - since)} ms later`,
  );
  return [];
}

async function sandboxNamespaces(prefix: string): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => isHostName(prefix, name));
}

async function writeResults(root: string, body: Record<string, unknown>): Promise<string> {
  const dir = join(root, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `providers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const content = {
    benchmark: 'providers',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, loadavg: loadavg() },
    goal: { ratio: FAULT_RATIO_GOAL },
    faultRules: FAULT_RULES,
    ...body,
  };
  await writeFile(file, JSON.stringify(content, null, 2) + '\n');
  return file;
}

function say(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
