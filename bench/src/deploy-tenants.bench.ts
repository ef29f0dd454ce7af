/**
 * `npm run bench -- [N ...]`: deploys N Mastodon tenants (FEDOPS_BENCH_APPS=matrix,forgejo for others)
 * at once on sandbox machines (N = 1, 10, 50 by default) through the public API, and times each to
 * `ready`, sampling the host's memory in use meanwhile. In the same run, on the same
 * Temporal server, N plain workflows with as many no-op activities as deployTenant show what
 * Temporal's orchestration alone costs; the rest of time-to-ready is fedops' own. See bench/README.md.
 */
import { setMaxListeners } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { findApp } from '@fedops/catalog';
import type { AppSelection } from '@fedops/contracts';
import { repoRoot } from '@fedops/testing';
import { BASELINE_ACTIVITY_COUNT } from './baseline/baseline.activities';
import { BaselineRunner } from './baseline/baseline-runner';
import { gib, MemorySampler, type MemoryUse } from './memory-sampler';
import { renderTable, summarizeRound, type RoundResult } from './report';
import { parseCounts } from './stats';
import { TenantPlatform } from './tenant-platform';
import { DEFAULT_APPS, deployRound, describe } from './tenant-round';

const SANDBOX_PREFIX = 'fb';
const DEFAULT_COUNTS = [1, 10, 50];
const MAX_LISTENERS = 1000;

interface BenchConfig {
  counts: number[];
  deadlineMs: number;
  pollIntervalMs: number;
  /** The apps of every tenant: FEDOPS_BENCH_APPS (ids, comma-separated), Mastodon by default. */
  apps: readonly AppSelection[];
}

function readConfig(): BenchConfig {
  const minutes = Number(process.env['FEDOPS_BENCH_DEADLINE_MINUTES'] ?? '20');
  const poll = Number(process.env['FEDOPS_BENCH_POLL_MS'] ?? '100');
  if (!(minutes > 0)) throw new Error('FEDOPS_BENCH_DEADLINE_MINUTES must be a positive number');
  if (!(poll >= 10)) throw new Error('FEDOPS_BENCH_POLL_MS must be at least 10');
  const apps = process.env['FEDOPS_BENCH_APPS'];
  return {
    counts: parseCounts(process.argv.slice(2), DEFAULT_COUNTS),
    deadlineMs: minutes * 60_000,
    pollIntervalMs: poll,
    apps: apps === undefined ? DEFAULT_APPS : catalogAppIds(apps).map((app) => ({ app, options: {} })),
  };
}

/** `matrix,forgejo` → the catalog app ids; an unknown id is an error naming it. */
function catalogAppIds(list: string): string[] {
  const ids = list
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const unknown = ids.filter((id) => findApp(id) === undefined);
  if (ids.length === 0 || unknown.length > 0)
    throw new Error(
      `FEDOPS_BENCH_APPS must list catalog app ids, comma-separated (unknown: ${unknown.join(', ')})`,
    );
  return ids;
}

async function main(): Promise<number> {
  const config = readConfig();
  const root = repoRoot();
  const workDir = await mkdtemp(join(tmpdir(), 'fedops-bench-'));
  const platformDir = join(workDir, 'platform');
  const deadline = new AbortController();
  // Every tenant's poll waits on this signal at once: up to 200 listeners is expected, not a leak.
  setMaxListeners(MAX_LISTENERS, deadline.signal);
  const timer = setTimeout(
    () => deadline.abort(new Error(`global deadline of ${config.deadlineMs / 60_000} min passed`)),
    config.deadlineMs,
  );
  const onSignal = (): void => deadline.abort(new Error('interrupted'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  Runtime.install({ logger: new DefaultLogger('WARN') });

  let tenants: TenantPlatform | undefined;
  let baseline: BaselineRunner | undefined;
  let client: Client | undefined;
  let nativeConnection: NativeConnection | undefined;
  const live = new Set<string>(); // tenants created and not yet seen deleted
  const rounds: RoundResult[] = [];
  const memory: Array<{ count: number } & MemoryUse> = [];
  const problems: string[] = [];
  let keepWorkDir = false;

  try {
    say(
      `work dir ${workDir}; rounds ${config.counts.join(', ')}; apps ${config.apps.map((a) => a.app).join(', ')}; ` +
        `deadline ${config.deadlineMs / 60_000} min`,
    );
    tenants = await TenantPlatform.start({ workDir, sandboxPrefix: SANDBOX_PREFIX, say });
    const { api } = tenants;

    const { address, namespace } = tenants.infra.endpoints.temporal;
    client = new Client({ connection: await Connection.connect({ address }), namespace });
    nativeConnection = await NativeConnection.connect({ address });
    say('starting the baseline worker (bundles the baseline workflow)');
    baseline = await BaselineRunner.start(nativeConnection, namespace, client);

    // Warm-up, not reported: first workflow on each worker, first SSH connection, JIT.
    say('warm-up: one baseline workflow and one tenant');
    await baseline.run(1);
    const warm = await deployRound(api, 1, {
      apps: config.apps,
      pollIntervalMs: config.pollIntervalMs,
      signal: deadline.signal,
      onCreated: (id) => live.add(id),
    });
    if (warm[0]?.outcome !== 'ready')
      throw new Error(`warm-up tenant did not become ready: ${warm[0]?.error ?? '(unknown)'}`);
    await tenants.deleteTenants(live, deadline.signal, problems);

    for (const count of config.counts) {
      if (deadline.signal.aborted) break;
      say(`round N=${count}: creating ${count} tenant(s) at once`);
      const requestsBefore = api.requests;
      const roundStart = performance.now();
      // Until every tenant of the round is ready (all N machines running at once), before deletion.
      const sampler = await MemorySampler.start();
      const outcomes = await deployRound(api, count, {
        apps: config.apps,
        pollIntervalMs: config.pollIntervalMs,
        signal: deadline.signal,
        onCreated: (id) => live.add(id),
      });
      const roundMs = performance.now() - roundStart;
      const used = await sampler.stop();
      memory.push({ count, ...used });
      say(
        `round N=${count}: host memory in use ${gib(used.beforeBytes)} GiB before, ${gib(used.peakBytes)} GiB at most ` +
          `(of ${gib(used.totalBytes)} GiB; MemTotal - MemAvailable, sampled every second)`,
      );
      const requests = api.requests - requestsBefore;
      for (const o of outcomes)
        if (o.outcome !== 'ready')
          problems.push(`N=${count} tenant ${o.id ?? o.domain}: ${o.outcome}: ${o.error ?? ''}`);
      if (deadline.signal.aborted) {
        // The tenants left are deleted in `finally`, on a fresh deadline.
        const deletion = { allDeleted: false, ms: 0, errors: ['skipped: deadline passed'] };
        rounds.push(summarizeRound(outcomes, [], { roundMs, requests, deletion }));
        break;
      }
      say(
        `round N=${count}: ${outcomes.filter((o) => o.outcome === 'ready').length}/${count} ready in ${Math.round(roundMs)} ms; deleting`,
      );
      const deleteStart = performance.now();
      const deletionErrors = await tenants.deleteTenants(live, deadline.signal, problems);
      const deletion = {
        allDeleted: deletionErrors.length === 0,
        ms: performance.now() - deleteStart,
        errors: deletionErrors,
      };
      if (deadline.signal.aborted) {
        rounds.push(summarizeRound(outcomes, [], { roundMs, requests, deletion }));
        break;
      }
      say(`round N=${count}: ${count} baseline workflow(s) at once`);
      const samples = await baseline.run(count);
      rounds.push(summarizeRound(outcomes, samples, { roundMs, requests, deletion }));
    }
    if (deadline.signal.aborted) problems.push(`stopped early: ${describe(deadline.signal.reason)}`);
  } catch (err) {
    problems.push(`benchmark failed: ${describe(err)}`);
  } finally {
    clearTimeout(timer);
    // Tenants first (through the platform, so every step's undo runs), then the processes.
    if (tenants !== undefined && live.size > 0) {
      say(`cleanup: deleting ${live.size} tenant(s) left`);
      const cleanupDeadline = AbortSignal.timeout(5 * 60_000);
      setMaxListeners(MAX_LISTENERS, cleanupDeadline);
      await tenants.deleteTenants(live, cleanupDeadline, problems);
    }
    await baseline?.stop().catch((err: unknown) => problems.push(`baseline worker stop: ${describe(err)}`));
    await nativeConnection?.close().catch(() => undefined);
    await client?.connection.close().catch(() => undefined);
    await tenants?.stop(problems);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  if (rounds.length > 0) {
    process.stdout.write(
      `\ntime-to-ready of N tenants created at once (ms; steps are p50)\n\n${renderTable(rounds)}\n\n`,
    );
  }
  const resultFile = await writeResults(root, config, rounds, memory, problems);
  say(`results written to ${resultFile}`);
  if (problems.length > 0) {
    keepWorkDir = true;
    process.stderr.write(`\nPROBLEMS:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    say(`service logs kept in ${join(platformDir, 'logs')}`);
  }
  if (!keepWorkDir) await rm(workDir, { recursive: true, force: true });
  return problems.length > 0 ? 1 : 0;
}

async function writeResults(
  root: string,
  config: BenchConfig,
  rounds: RoundResult[],
  memory: Array<{ count: number } & MemoryUse>,
  problems: string[],
): Promise<string> {
  const dir = join(root, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const body = {
    benchmark: 'deploy-tenants',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    config,
    baseline: {
      activities: BASELINE_ACTIVITY_COUNT,
      note: 'plain Temporal workflow, no-op activities, in-process worker, same server',
    },
    rounds,
    memory,
    problems,
  };
  await writeFile(file, JSON.stringify(body, null, 2) + '\n');
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
