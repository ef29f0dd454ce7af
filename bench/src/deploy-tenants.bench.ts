/**
 * `npm run bench -- [N ...]`: deploys N Mastodon tenants at once on sandbox machines (N = 1, 10, 50
 * by default) through the public API, and times each to `ready`. In the same run, on the same
 * Temporal server, N plain workflows with as many no-op activities as deployTenant show what
 * Temporal's orchestration alone costs; the rest of time-to-ready is fedops' own. See bench/README.md.
 */
import { execFile } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { isHostName } from '@fedops/sandbox-host';
import {
  destroySandboxMachines,
  ensureDatabase,
  fetchToken,
  Platform,
  provisionPlatformDatabase,
  repoRoot,
  startInfrastructure,
  startOidcIssuer,
  type Infrastructure,
  type OidcIssuerHandle,
} from '@fedops/testing';
import { BenchApiClient } from './api-client';
import { BASELINE_ACTIVITY_COUNT } from './baseline/baseline.activities';
import { BaselineRunner } from './baseline/baseline-runner';
import { renderTable, summarizeRound, type RoundResult } from './report';
import { parseCounts } from './stats';
import { deleteTenants, deployRound, describe } from './tenant-round';

const SANDBOX_PREFIX = 'fb';
const DEFAULT_COUNTS = [1, 10, 50];
const MAX_LISTENERS = 1000;

interface BenchConfig {
  counts: number[];
  deadlineMs: number;
  pollIntervalMs: number;
}

function readConfig(): BenchConfig {
  const minutes = Number(process.env['FEDOPS_BENCH_DEADLINE_MINUTES'] ?? '20');
  const poll = Number(process.env['FEDOPS_BENCH_POLL_MS'] ?? '100');
  if (!(minutes > 0)) throw new Error('FEDOPS_BENCH_DEADLINE_MINUTES must be a positive number');
  if (!(poll >= 10)) throw new Error('FEDOPS_BENCH_POLL_MS must be at least 10');
  return {
    counts: parseCounts(process.argv.slice(2), DEFAULT_COUNTS),
    deadlineMs: minutes * 60_000,
    pollIntervalMs: poll,
  };
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

  let infra: Infrastructure | undefined;
  let issuer: OidcIssuerHandle | undefined;
  let platform: Platform | undefined;
  let api: BenchApiClient | undefined;
  let baseline: BaselineRunner | undefined;
  let client: Client | undefined;
  let nativeConnection: NativeConnection | undefined;
  const live = new Set<string>(); // tenants created and not yet seen deleted
  const rounds: RoundResult[] = [];
  const problems: string[] = [];
  let keepWorkDir = false;

  try {
    say(
      `work dir ${workDir}; rounds ${config.counts.join(', ')}; deadline ${config.deadlineMs / 60_000} min`,
    );
    say('starting PostgreSQL, NATS, Temporal, PowerDNS (ephemeral, free ports)');
    infra = await startInfrastructure({ dataDir: join(workDir, 'infra'), ephemeral: true });
    const database = await provisionPlatformDatabase({
      adminUrl: await ensureDatabase(infra.endpoints.postgres.url, 'fedops_bench'),
      dataDir: platformDir,
    });
    issuer = await startOidcIssuer({ dataDir: join(workDir, 'oidc'), accessTokenTtlSeconds: 3600 });
    say('starting the five services');
    platform = await Platform.start({
      repoRoot: root,
      dataDir: platformDir,
      infra: infra.endpoints,
      databaseUrls: database.urls,
      oidcIssuerUrl: issuer.issuerUrl,
      sandboxPrefix: SANDBOX_PREFIX,
      logLevel: 'warn',
    });
    api = new BenchApiClient(platform.apiUrl, await fetchToken(issuer.issuerUrl, issuer.clients.acme));

    const { address, namespace } = infra.endpoints.temporal;
    client = new Client({ connection: await Connection.connect({ address }), namespace });
    nativeConnection = await NativeConnection.connect({ address });
    say('starting the baseline worker (bundles the baseline workflow)');
    baseline = await BaselineRunner.start(nativeConnection, namespace, client);

    // Warm-up, not reported: first workflow on each worker, first SSH connection, JIT.
    say('warm-up: one baseline workflow and one tenant');
    await baseline.run(1);
    const warm = await deployRound(api, 1, {
      pollIntervalMs: config.pollIntervalMs,
      signal: deadline.signal,
      onCreated: (id) => live.add(id),
    });
    if (warm[0]?.outcome !== 'ready')
      throw new Error(`warm-up tenant did not become ready: ${warm[0]?.error ?? '(unknown)'}`);
    await cleanupTenants(api, live, deadline.signal, problems);

    for (const count of config.counts) {
      if (deadline.signal.aborted) break;
      say(`round N=${count}: creating ${count} tenant(s) at once`);
      const requestsBefore = api.requests;
      const roundStart = performance.now();
      const outcomes = await deployRound(api, count, {
        pollIntervalMs: config.pollIntervalMs,
        signal: deadline.signal,
        onCreated: (id) => live.add(id),
      });
      const roundMs = performance.now() - roundStart;
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
      const deletionErrors = await cleanupTenants(api, live, deadline.signal, problems);
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
    if (api !== undefined && live.size > 0) {
      say(`cleanup: deleting ${live.size} tenant(s) left`);
      const cleanupDeadline = AbortSignal.timeout(5 * 60_000);
      setMaxListeners(MAX_LISTENERS, cleanupDeadline);
      await cleanupTenants(api, live, cleanupDeadline, problems);
    }
    await baseline?.stop().catch((err: unknown) => problems.push(`baseline worker stop: ${describe(err)}`));
    await nativeConnection?.close().catch(() => undefined);
    await client?.connection.close().catch(() => undefined);
    await platform?.stop().catch((err: unknown) => problems.push(`platform stop: ${describe(err)}`));
    await removeLeftoverMachines(platformDir, problems);
    await issuer?.stop().catch(() => undefined);
    await infra?.stop().catch((err: unknown) => problems.push(`infrastructure stop: ${describe(err)}`));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  if (rounds.length > 0) {
    process.stdout.write(
      `\ntime-to-ready of N tenants created at once (ms; steps are p50)\n\n${renderTable(rounds)}\n\n`,
    );
  }
  const resultFile = await writeResults(root, config, rounds, problems);
  say(`results written to ${resultFile}`);
  if (problems.length > 0) {
    keepWorkDir = true;
    process.stderr.write(`\nPROBLEMS:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    say(`service logs kept in ${join(platformDir, 'logs')}`);
  }
  if (!keepWorkDir) await rm(workDir, { recursive: true, force: true });
  return problems.length > 0 ? 1 : 0;
}

/** Deletes every tenant in `live`, removing the ones seen deleted; returns the errors. */
async function cleanupTenants(
  api: BenchApiClient,
  live: Set<string>,
  signal: AbortSignal,
  problems: string[],
): Promise<string[]> {
  const outcomes = await deleteTenants(api, [...live], { signal, timeoutMs: 5 * 60_000 });
  const errors: string[] = [];
  for (const o of outcomes) {
    if (o.deleted) live.delete(o.id);
    else errors.push(`tenant ${o.id} not deleted: ${o.error ?? ''}`);
  }
  problems.push(...errors);
  return errors;
}

/**
 * Last line of defence: sandbox machines the platform did not remove (a failed deletion, a crash)
 * are destroyed directly, then no `fb-*` namespace may remain.
 */
async function removeLeftoverMachines(platformDir: string, problems: string[]): Promise<void> {
  try {
    const leftover = (await namespaces()).filter((n) => isHostName(SANDBOX_PREFIX, n));
    if (leftover.length > 0) {
      problems.push(`${leftover.length} sandbox namespace(s) left after deletion: ${leftover.join(', ')}`);
      await destroySandboxMachines(platformDir, SANDBOX_PREFIX);
    }
    const still = (await namespaces()).filter((n) => isHostName(SANDBOX_PREFIX, n));
    if (still.length > 0)
      problems.push(`sandbox namespaces still present after forced cleanup: ${still.join(', ')}`);
  } catch (err) {
    problems.push(`sandbox cleanup: ${describe(err)}`);
  }
}

async function namespaces(): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ip', ['netns', 'list'], { encoding: 'utf8' });
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.length > 0);
}

async function writeResults(
  root: string,
  config: BenchConfig,
  rounds: RoundResult[],
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
