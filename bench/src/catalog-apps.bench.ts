/**
 * `npm run bench -- apps [rounds]`: per round, one tenant with every catalog app and one with
 * Mastodon alone, each created through the public API, timed to `ready`, then deleted. Reports where
 * the all-apps tenant's time-to-ready goes (each step, and what lies outside their critical path)
 * against issue 8's goal, time-to-ready <= 1.1x the critical path, and what the seven extra apps
 * cost the deploy step. See bench/README.md.
 */
import { setMaxListeners } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPS } from '@fedops/catalog';
import type { AppSelection } from '@fedops/contracts';
import { repoRoot } from '@fedops/testing';
import {
  breakdown,
  renderBreakdown,
  renderComparison,
  summarizeApps,
  type AppsRound,
  type AppsSummary,
} from './apps-report';
import { DEPLOY_STEP_DEPENDENCIES } from './critical-path';
import { TenantPlatform } from './tenant-platform';
import { deployRound, describe, type TenantOutcome } from './tenant-round';

const SANDBOX_PREFIX = 'fb';
const DEFAULT_ROUNDS = 3;
const MAX_ROUNDS = 20;
const ALL_APPS: readonly AppSelection[] = APPS.map((a) => ({ app: a.id, options: {} }));
const ONE_APP: readonly AppSelection[] = [{ app: 'mastodon', options: {} }];

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

interface BenchConfig {
  rounds: number;
  deadlineMs: number;
  pollIntervalMs: number;
  /** The services' log level; below `warn` the service logs are kept (to time the phases inside a step). */
  logLevel: (typeof LOG_LEVELS)[number];
}

function readConfig(args: readonly string[]): BenchConfig {
  const minutes = Number(process.env['FEDOPS_BENCH_DEADLINE_MINUTES'] ?? '30');
  const poll = Number(process.env['FEDOPS_BENCH_POLL_MS'] ?? '100');
  const logLevel = LOG_LEVELS.find((l) => l === (process.env['FEDOPS_BENCH_LOG_LEVEL'] ?? 'warn'));
  if (logLevel === undefined)
    throw new Error(`FEDOPS_BENCH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  if (!(minutes > 0)) throw new Error('FEDOPS_BENCH_DEADLINE_MINUTES must be a positive number');
  if (!(poll >= 10)) throw new Error('FEDOPS_BENCH_POLL_MS must be at least 10');
  const given = args.filter((a) => a !== '--');
  if (given.length > 1) throw new Error(`expected at most one argument (rounds), got ${given.join(' ')}`);
  const rounds = given[0] === undefined ? DEFAULT_ROUNDS : Number(given[0]);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS)
    throw new Error(`rounds must be an integer within 1..${MAX_ROUNDS}, got "${given[0] ?? ''}"`);
  return { rounds, deadlineMs: minutes * 60_000, pollIntervalMs: poll, logLevel };
}

async function main(): Promise<number> {
  const config = readConfig(process.argv.slice(2));
  const root = repoRoot();
  const workDir = await mkdtemp(join(tmpdir(), 'fedops-bench-apps-'));
  const deadline = new AbortController();
  setMaxListeners(100, deadline.signal);
  const timer = setTimeout(
    () => deadline.abort(new Error(`global deadline of ${config.deadlineMs / 60_000} min passed`)),
    config.deadlineMs,
  );
  const onSignal = (): void => deadline.abort(new Error('interrupted'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let tenants: TenantPlatform | undefined;
  const live = new Set<string>(); // tenants created and not yet seen deleted
  const rounds: AppsRound[] = [];
  const problems: string[] = [];
  const loadAverages: number[] = [];

  try {
    say(
      `work dir ${workDir}; ${config.rounds} round(s) of ${APPS.length} apps (${APPS.map((a) => a.id).join(', ')}) ` +
        `and Mastodon alone; deadline ${config.deadlineMs / 60_000} min`,
    );
    tenants = await TenantPlatform.start({
      workDir,
      sandboxPrefix: SANDBOX_PREFIX,
      logLevel: config.logLevel,
      say,
    });
    const platform = tenants;

    /** One tenant with `apps`, to ready, then deleted; a failure is a problem and ends the run. */
    const deployAndDelete = async (
      label: string,
      apps: readonly AppSelection[],
    ): Promise<{ outcome: TenantOutcome; deletionMs: number }> => {
      const [outcome] = await deployRound(platform.api, 1, {
        apps,
        pollIntervalMs: config.pollIntervalMs,
        signal: deadline.signal,
        onCreated: (id) => live.add(id),
      });
      if (outcome === undefined) throw new Error(`${label}: no outcome`);
      if (outcome.outcome !== 'ready')
        throw new Error(
          `${label} tenant ${outcome.id ?? outcome.domain}: ${outcome.outcome}: ${outcome.error ?? ''}`,
        );
      const deleteStart = performance.now();
      const errors = await platform.deleteTenants(live, deadline.signal, problems);
      if (errors.length > 0) throw new Error(`${label}: deletion failed`);
      return { outcome, deletionMs: performance.now() - deleteStart };
    };

    // Warm-up, not reported: the first start of every real server (page cache, JIT, first SSH).
    say(`warm-up: one tenant with all ${APPS.length} apps`);
    await deployAndDelete('warm-up', ALL_APPS);

    for (let round = 1; round <= config.rounds; round++) {
      const first = round % 2 === 1 ? 'all' : 'one';
      const runs: Partial<Record<'all' | 'one', { outcome: TenantOutcome; deletionMs: number }>> = {};
      for (const which of first === 'all' ? (['all', 'one'] as const) : (['one', 'all'] as const)) {
        say(`round ${round}: ${which === 'all' ? `all ${APPS.length} apps` : 'Mastodon alone'}`);
        loadAverages.push(loadavg()[0] ?? 0);
        const run = await deployAndDelete(`round ${round} (${which})`, which === 'all' ? ALL_APPS : ONE_APP);
        runs[which] = run;
        const b = breakdown(run.outcome);
        say(
          `round ${round} (${which}): ready in ${Math.round(run.outcome.timeToReadyMs ?? 0)} ms` +
            (b ? `, critical path ${b.criticalPath.ms} ms, ${b.ratio.toFixed(3)}x` : ', no step breakdown'),
        );
      }
      const { all, one } = runs;
      if (all === undefined || one === undefined) throw new Error(`round ${round} incomplete`);
      rounds.push({
        round,
        appCount: APPS.length,
        all: all.outcome,
        one: one.outcome,
        first,
        deletionMs: { all: all.deletionMs, one: one.deletionMs },
      });
    }
  } catch (err) {
    problems.push(
      deadline.signal.aborted ? `stopped early: ${describe(deadline.signal.reason)}` : describe(err),
    );
  } finally {
    clearTimeout(timer);
    if (tenants !== undefined && live.size > 0) {
      say(`cleanup: deleting ${live.size} tenant(s) left`);
      await tenants.deleteTenants(live, AbortSignal.timeout(5 * 60_000), problems);
    }
    await tenants?.stop(problems);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const summary = summarizeApps(rounds);
  if (summary.breakdown.length > 0) {
    process.stdout.write(
      `\ntenant with all ${APPS.length} apps: time-to-ready and each step (ms, share of time-to-ready)\n\n` +
        `${renderBreakdown(summary.breakdown)}\n`,
    );
  }
  if (summary.goal) {
    process.stdout.write(
      `\ngoal: time-to-ready <= ${summary.goal.goal}x the critical path: median ${summary.goal.ratio.toFixed(3)}x, ` +
        `${summary.goal.met ? 'met' : 'MISSED'}\n`,
    );
  }
  if (summary.comparison.length > 0) {
    process.stdout.write(
      `\ndeploy step: Mastodon alone vs all ${APPS.length} apps (ms)\n\n` +
        `${renderComparison(summary.comparison, APPS.length)}\n\n`,
    );
  }
  const resultFile = await writeResults(root, config, rounds, summary, loadAverages, problems);
  say(`results written to ${resultFile}`);
  const logs = join(workDir, 'platform', 'logs');
  if (problems.length > 0) {
    process.stderr.write(`\nPROBLEMS:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    say(`service logs kept in ${logs}`);
    return 1;
  }
  if (config.logLevel === 'debug' || config.logLevel === 'info') say(`service logs kept in ${logs}`);
  else await rm(workDir, { recursive: true, force: true });
  return 0;
}

async function writeResults(
  root: string,
  config: BenchConfig,
  rounds: readonly AppsRound[],
  summary: AppsSummary,
  loadAverages: readonly number[],
  problems: readonly string[],
): Promise<string> {
  const dir = join(root, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-apps.json`);
  const body = {
    benchmark: 'catalog-apps',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, loadAverage1mAtEachTenant: loadAverages },
    config,
    apps: { all: ALL_APPS, one: ONE_APP },
    stepDependencies: DEPLOY_STEP_DEPENDENCIES,
    summary,
    rounds: rounds.map((r) => ({ ...r, breakdown: { all: breakdown(r.all), one: breakdown(r.one) } })),
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
