/**
 * `npm run bench -- api [RATE ...]`: latency (p50, p99) and throughput of tenant-api's
 * `GET /v1/tenants/{id}` and of a page of the tenant list over 1,000 tenants, at fixed request rates
 * (100, 200, 300 per second by default) from a load generator process on loopback, each as a ratio
 * against a bare NestJS endpoint answering a constant of the same size, measured in the same run in
 * interleaved rounds. Goal: p99 at most P99_RATIO_GOAL times the bare endpoint's. See bench/README.md.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureDatabase,
  fetchToken,
  outputSinceStart,
  Platform,
  provisionPlatformDatabase,
  repoRoot,
  SERVICE_NAMES,
  spawnManaged,
  startInfrastructure,
  startOidcIssuer,
  waitUntilReady,
  type Infrastructure,
  type ManagedProcess,
  type OidcIssuerHandle,
} from '@fedops/testing';
import type { BareBodies } from './baseline/bare-nest';
import {
  P99_RATIO_GOAL,
  overallGoal,
  parseRates,
  poolRounds,
  renderLatencyTable,
  type EndpointAtRate,
  type RoundSample,
} from './latency-report';
import { LoadGenerator } from './load/load-generator';
import type { LoadJob } from './load/load-job';
import { cpuDelta, cpuMsByProcess, machineBusyMs } from './load/process-cpu';
import { percentile } from './stats';
import { profileRounds } from './profile/profile-rounds';
import { seedTenants } from './tenant-seed';
import { describe } from './tenant-round';

const DEFAULT_RATES = [100, 200, 300];
const ORG = 'acme';
const PAGE_LIMIT = 50;
const ROUND_WARMUP_MS = 1_000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 64;
/** tenant-api's per-caller quota per 60 s window for the run: far above what the rounds send. */
const RATE_LIMIT_QUOTA = 1_000_000_000;

interface ApiBenchConfig {
  rates: number[];
  windowMs: number;
  repeats: number;
  warmupMs: number;
  tenants: number;
  deadlineMs: number;
  /** After the rounds, profile tenant-api's CPU during one round of each of its endpoints. */
  profile: boolean;
}

function positive(name: string, fallback: string, integer = false): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0) || (integer && !Number.isInteger(value)))
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}`);
  return value;
}

function readConfig(): ApiBenchConfig {
  return {
    rates: parseRates(process.argv.slice(2), DEFAULT_RATES),
    windowMs: positive('FEDOPS_BENCH_API_SECONDS', '10') * 1000,
    repeats: positive('FEDOPS_BENCH_API_REPEATS', '2', true),
    warmupMs: positive('FEDOPS_BENCH_API_WARMUP_SECONDS', '3') * 1000,
    tenants: positive('FEDOPS_BENCH_API_TENANTS', '1000', true),
    deadlineMs: positive('FEDOPS_BENCH_DEADLINE_MINUTES', '30') * 60_000,
    profile: process.env['FEDOPS_BENCH_API_PROFILE'] === '1',
  };
}

/** One endpoint under load: where, which paths in turn, as whom. */
interface Scenario {
  name: string;
  description: string;
  server: 'bare' | 'tenant-api';
  origin: string;
  paths: string[];
  token: string;
  /** The p99 goal applies. */
  goal: boolean;
}

interface ScenarioBodies {
  tenantIds: string[];
  pagePaths: string[];
  bodies: BareBodies;
}

async function main(): Promise<number> {
  const config = readConfig();
  const root = repoRoot();
  const workDir = await mkdtemp(join(tmpdir(), 'fedops-bench-api-'));
  const platformDir = join(workDir, 'platform');
  const profileDir = join(workDir, 'profiles');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let aborted: string | undefined;
  const timer = setTimeout(() => (aborted = 'global deadline passed'), config.deadlineMs);
  const onSignal = (): void => {
    aborted = 'interrupted';
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let infra: Infrastructure | undefined;
  let issuer: OidcIssuerHandle | undefined;
  let platform: Platform | undefined;
  let bare: ManagedProcess | undefined;
  let generator: LoadGenerator | undefined;
  const rounds: Array<RoundSample & { generator: GeneratorFigures }> = [];
  const problems: string[] = [];
  const conditions: Record<string, unknown> = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: process.version,
    loadAverageAtStart: loadavg(),
  };
  let scenarios: Scenario[] = [];
  let profiles: string | undefined;

  try {
    say(
      `work dir ${workDir}; rates ${config.rates.join(', ')}/s; ${config.windowMs / 1000} s x ${config.repeats}`,
    );
    say('starting PostgreSQL, NATS, Temporal, PowerDNS (ephemeral, free ports)');
    infra = await startInfrastructure({ dataDir: join(workDir, 'infra'), ephemeral: true });
    const adminUrl = await ensureDatabase(infra.endpoints.postgres.url, 'fedops_bench_api');
    const database = await provisionPlatformDatabase({ adminUrl, dataDir: platformDir });
    if (config.profile) await mkdir(profileDir, { recursive: true }); // watched by the preload from its start
    issuer = await startOidcIssuer({ dataDir: join(workDir, 'oidc'), accessTokenTtlSeconds: 4 * 3600 });
    say('starting the services; then stopping all but tenant-api (the GETs need only it)');
    platform = await Platform.start({
      repoRoot: root,
      dataDir: platformDir,
      infra: infra.endpoints,
      databaseUrls: database.urls,
      oidcIssuerUrl: issuer.issuerUrl,
      sandboxPrefix: 'fba',
      logLevel: 'info',
      extraEnv: {
        'tenant-api': {
          // The per-caller quota still runs on every request, but this one caller may send every round.
          FEDOPS_RATE_LIMIT_REQUESTS: String(RATE_LIMIT_QUOTA),
          ...(config.profile ? profilerEnv(profileDir) : {}),
        },
      },
    });
    const running = platform;
    await Promise.all(
      SERVICE_NAMES.filter((n) => n !== 'tenant-api').map((n) => running.service(n).process.stop()),
    );
    const api = platform.apiUrl;

    say(`seeding ${config.tenants} ready tenants of org ${ORG} directly into tenant_api (one transaction)`);
    const seedStart = performance.now();
    const ids = await seedTenants(adminUrl, {
      count: config.tenants,
      orgId: ORG,
      domainSuffix: 'bench-api.example',
    });
    say(`seeded in ${Math.round(performance.now() - seedStart)} ms`);
    const [opsToken, acmeToken] = await Promise.all([
      fetchToken(issuer.issuerUrl, issuer.clients.ops),
      fetchToken(issuer.issuerUrl, issuer.clients.acme),
    ]);
    const seen = await readSeeded(api, acmeToken, opsToken, ids);
    const bodiesFile = join(workDir, 'bare-bodies.json');
    await writeFile(bodiesFile, JSON.stringify(seen.bodies));

    say('starting the bare NestJS app and the load generator (processes of their own)');
    bare = await spawnManaged({
      name: 'bare-nest',
      command: process.execPath,
      args: ['--enable-source-maps', join(__dirname, 'baseline', 'bare-nest.js'), bodiesFile],
      logFile: join(workDir, 'bare-nest.log'),
      graceMs: 5_000,
    });
    const bareProc = bare;
    const bareUrl = await waitUntilReady(bare, async () => listeningUrl(await outputSinceStart(bareProc)), {
      description: 'the bare NestJS app to listen',
      timeoutMs: 30_000,
    });
    generator = await LoadGenerator.start();

    const pages = seen.pagePaths;
    scenarios = [
      scenario(
        'bare',
        'bare NestJS, GET /tenant: a constant tenant view',
        'bare',
        bareUrl,
        ['/tenant'],
        acmeToken,
      ),
      scenario(
        'bare-page',
        'bare NestJS, GET /page: a constant page of 50',
        'bare',
        bareUrl,
        ['/page'],
        acmeToken,
      ),
      scenario(
        'healthz',
        'tenant-api GET /healthz: public, no database',
        'tenant-api',
        api,
        ['/healthz'],
        acmeToken,
      ),
      scenario(
        'apps',
        'tenant-api GET /v1/apps as acme: token verified, caller looked up, no tenant read',
        'tenant-api',
        api,
        ['/v1/apps'],
        acmeToken,
      ),
      {
        ...scenario(
          'get',
          'GET /v1/tenants/{id} as operator acme, ids in turn',
          'tenant-api',
          api,
          seen.tenantIds.map((id) => `/v1/tenants/${id}`),
          acmeToken,
        ),
        goal: true,
      },
      scenario(
        'get-ops',
        'GET /v1/tenants/{id} as ops (no caller lookup: ops come from the token), ids in turn',
        'tenant-api',
        api,
        seen.tenantIds.map((id) => `/v1/tenants/${id}`),
        opsToken,
      ),
      {
        ...scenario(
          'list-ops',
          `GET /v1/tenants?limit=${PAGE_LIMIT} as ops, ${pages.length} pages in turn`,
          'tenant-api',
          api,
          pages,
          opsToken,
        ),
        goal: true,
      },
      {
        ...scenario(
          'list-org',
          `GET /v1/tenants?limit=${PAGE_LIMIT} as operator acme, ${pages.length} pages in turn`,
          'tenant-api',
          api,
          pages,
          acmeToken,
        ),
        goal: true,
      },
    ];
    const pids: Record<string, number> = {
      'tenant-api': platform.service('tenant-api').process.pid,
      bare: bare.pid,
      generator: generator.pid,
      ...(infra.pids.postgres !== undefined ? { postgres: infra.pids.postgres } : {}),
    };

    const maxRate = Math.max(...config.rates);
    say(`warm-up: every endpoint ${config.warmupMs / 1000} s at ${maxRate}/s (not reported)`);
    for (const s of scenarios) {
      const r = await generator.run(job(s, maxRate, 0, config.warmupMs));
      if (r.ok === 0)
        throw new Error(`warm-up of ${s.name}: no request answered (${JSON.stringify(r.errors)})`);
    }

    for (const rate of config.rates) {
      for (let repeat = 1; repeat <= config.repeats; repeat += 1) {
        // A B C ... then ... C B A: a drift of the machine during the rounds falls on every endpoint alike.
        const order = repeat % 2 === 1 ? scenarios : [...scenarios].reverse();
        for (const s of order) {
          if (aborted !== undefined) break;
          rounds.push(await measureRound(generator, s, rate, repeat, config.windowMs, pids));
          const last = rounds[rounds.length - 1]!;
          say(
            `${rate}/s #${repeat} ${s.name.padEnd(9)} ok ${last.ok}/${last.sent}` +
              ` p50 ${fmt(quantileOf(last.latenciesMs, 0.5))} ms p99 ${fmt(quantileOf(last.latenciesMs, 0.99))} ms`,
          );
        }
      }
    }
    if (aborted !== undefined) problems.push(`stopped early: ${aborted}`);
    else if (config.profile) {
      const rate = Math.min(...config.rates);
      say(`profiling tenant-api: one round of each of its endpoints at ${rate}/s`);
      await mkdir(join(root, 'bench', 'results'), { recursive: true });
      const load = generator;
      profiles = await profileRounds({
        rounds: scenarios
          .filter((s) => s.server === 'tenant-api')
          .map((s) => ({
            name: s.name,
            run: () => load.run(job(s, rate, ROUND_WARMUP_MS, config.windowMs)),
          })),
        profileDir,
        keepAs: (name) => join(root, 'bench', 'results', `api-profile-${stamp}-${name}.cpuprofile`),
      });
    }
  } catch (err) {
    problems.push(`benchmark failed: ${describe(err)}`);
  } finally {
    clearTimeout(timer);
    conditions['loadAverageAtEnd'] = loadavg();
    await generator?.stop().catch((err: unknown) => problems.push(`load generator stop: ${describe(err)}`));
    await bare?.stop().catch((err: unknown) => problems.push(`bare app stop: ${describe(err)}`));
    await platform?.stop().catch((err: unknown) => problems.push(`platform stop: ${describe(err)}`));
    await issuer?.stop().catch(() => undefined);
    await infra?.stop().catch((err: unknown) => problems.push(`infrastructure stop: ${describe(err)}`));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const rows = poolRounds(rounds, {
    baseline: 'bare',
    goalScenarios: scenarios.filter((s) => s.goal).map((s) => s.name),
  });
  for (const r of rows)
    if (r.errorCount > 0)
      problems.push(`${r.scenario} at ${r.ratePerSecond}/s: errors ${JSON.stringify(r.errors)}`);
  if (rows.length > 0) {
    conditions['otherCpuShareDuringRounds'] = otherCpuShare(rounds);
    conditions['generator'] = generatorFigures(rounds.map((r) => r.generator));
    const serverOf = (name: string): string => scenarios.find((s) => s.name === name)?.server ?? '';
    const verdict = overallGoal(rows);
    const goalNames = scenarios
      .filter((s) => s.goal)
      .map((s) => s.name)
      .join(', ');
    process.stdout.write(
      `\nlatency at a fixed request rate, open model, loopback; x = ratio to \`bare\` at the same rate; ` +
        `goal p99 <= ${P99_RATIO_GOAL}x\n\n${renderLatencyTable(rows, serverOf)}\n\n` +
        scenarios.map((s) => `  ${s.name.padEnd(9)}  ${s.description}`).join('\n') +
        `\n\ngoal (p99 of ${goalNames} <= ${P99_RATIO_GOAL}x bare at every rate): ${verdict ?? 'not measured'}\n` +
        `machine: ${String(conditions['cpus'])} cpus, load average ${fmtLoad(conditions['loadAverageAtStart'])} at start, ` +
        `${fmtLoad(conditions['loadAverageAtEnd'])} at end; other processes used ` +
        `${(100 * Number(conditions['otherCpuShareDuringRounds'])).toFixed(0)}% of a core during the rounds\n` +
        `${describeGenerator(conditions['generator'] as ReturnType<typeof generatorFigures>)}\n\n`,
    );
  }
  if (profiles !== undefined)
    process.stdout.write(
      `tenant-api CPU profiles (the rounds above ran with the profiler loaded but stopped):\n\n${profiles}\n\n`,
    );
  const resultFile = await writeResults(root, stamp, config, conditions, scenarios, rounds, rows, problems);
  say(`results written to ${resultFile}`);
  if (problems.length > 0) {
    process.stderr.write(`\nPROBLEMS:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    say(`service logs kept in ${join(platformDir, 'logs')}`);
  } else await rm(workDir, { recursive: true, force: true });
  return problems.length > 0 ? 1 : 0;
}

/** tenant-api's environment in profile mode: the preload that profiles when told (profile/cpu-profile-preload.ts). */
function profilerEnv(profileDir: string): Record<string, string> {
  const preload = join(__dirname, 'profile', 'cpu-profile-preload.js');
  return {
    NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --require "${preload}"`.trim(),
    FEDOPS_BENCH_PROFILE_DIR: profileDir,
  };
}

function scenario(
  name: string,
  description: string,
  server: Scenario['server'],
  origin: string,
  paths: string[],
  token: string,
): Scenario {
  return { name, description, server, origin, paths, token, goal: false };
}

/** Every request carries the same headers, the bare app's too (it ignores the token). */
function job(s: Scenario, ratePerSecond: number, warmupMs: number, durationMs: number): Omit<LoadJob, 'id'> {
  return {
    origin: s.origin,
    paths: s.paths,
    headers: { accept: 'application/json', authorization: `Bearer ${s.token}` },
    ratePerSecond,
    warmupMs,
    durationMs,
    timeoutMs: REQUEST_TIMEOUT_MS,
    maxConnections: MAX_CONNECTIONS,
  };
}

interface GeneratorFigures {
  sendLagP50Ms: number;
  sendLagP99Ms: number;
  fromSendP50Ms: number;
  fromSendP99Ms: number;
  sendLagMaxMs: number;
  cpuShare: number;
  connections: number;
  meanBodyBytes: number;
}

/** One round, with the CPU time of each process (and of the whole machine) during its window. */
async function measureRound(
  generator: LoadGenerator,
  s: Scenario,
  rate: number,
  repeat: number,
  windowMs: number,
  pids: Record<string, number>,
): Promise<RoundSample & { generator: GeneratorFigures }> {
  let before: Promise<[Record<string, number>, number]> | undefined;
  const result = await generator.run(job(s, rate, ROUND_WARMUP_MS, windowMs), () => {
    before = Promise.all([cpuMsByProcess(pids), machineBusyMs()]);
  });
  const [after, machineAfter] = await Promise.all([cpuMsByProcess(pids), machineBusyMs()]);
  const [cpuBefore, machineBefore] = before ? await before : [after, machineAfter];
  return {
    scenario: s.name,
    ratePerSecond: rate,
    repeat,
    sent: result.sent,
    ok: result.ok,
    errors: result.errors,
    latenciesMs: result.latenciesMs.map((x) => Math.round(x * 1000) / 1000),
    achievedPerSecond: result.achievedPerSecond,
    cpuMs: { ...cpuDelta(cpuBefore, after), machine: machineAfter - machineBefore },
    generator: {
      sendLagP50Ms: result.sendLagP50Ms,
      sendLagP99Ms: result.sendLagP99Ms,
      fromSendP50Ms: result.fromSendP50Ms,
      fromSendP99Ms: result.fromSendP99Ms,
      sendLagMaxMs: result.sendLagMaxMs,
      cpuShare: result.generatorCpuShare,
      connections: result.connections,
      meanBodyBytes: result.meanBodyBytes,
    },
  };
}

/** The tenant views and pages as tenant-api answers them: checks the seed and gives the bare app its bodies. */
async function readSeeded(
  api: string,
  acmeToken: string,
  opsToken: string,
  ids: string[],
): Promise<ScenarioBodies> {
  const get = async (path: string, token: string): Promise<unknown> => {
    const res = await fetch(`${api}${path}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as unknown;
  };
  const tenant = (await get(`/v1/tenants/${ids[0]}`, acmeToken)) as { id?: string; status?: string };
  if (tenant.id !== ids[0] || tenant.status !== 'ready')
    throw new Error(`seeded tenant reads back wrong: ${JSON.stringify(tenant)}`);
  const pagePaths: string[] = [];
  let firstPage: unknown;
  let seen = 0;
  let path: string | undefined = `/v1/tenants?limit=${PAGE_LIMIT}`;
  while (path !== undefined) {
    pagePaths.push(path);
    const page = (await get(path, acmeToken)) as { items: unknown[]; nextCursor?: string };
    firstPage ??= page;
    seen += page.items.length;
    path =
      page.nextCursor === undefined ? undefined : `/v1/tenants?limit=${PAGE_LIMIT}&cursor=${page.nextCursor}`;
  }
  if (seen !== ids.length)
    throw new Error(`operator ${ORG} lists ${seen} tenants, ${ids.length} were seeded`);
  const opsFirst = (await get(pagePaths[0]!, opsToken)) as { items: unknown[] };
  if (opsFirst.items.length !== Math.min(PAGE_LIMIT, ids.length))
    throw new Error(`ops sees ${opsFirst.items.length} tenants on the first page`);
  return { tenantIds: ids, pagePaths, bodies: { tenant, page: firstPage } };
}

function listeningUrl(output: string): string | undefined {
  for (const line of output.split('\n')) {
    try {
      const parsed = JSON.parse(line) as { msg?: unknown; url?: unknown };
      if (parsed.msg === 'listening' && typeof parsed.url === 'string') return parsed.url;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

/** Busy CPU of the machine outside the processes followed, as a share of one core, over all windows. */
function otherCpuShare(rounds: readonly RoundSample[]): number {
  let other = 0;
  let windows = 0;
  for (const r of rounds) {
    const { machine = 0, ...ours } = r.cpuMs;
    other += machine - Object.values(ours).reduce((a, b) => a + b, 0);
    windows += r.sent / r.ratePerSecond;
  }
  return windows > 0 ? other / 1000 / windows : 0;
}

/** How well the generator kept to its schedule over all rounds (the worst round's figures). */
function generatorFigures(figures: readonly GeneratorFigures[]): {
  sendLagP50Ms: number;
  sendLagP99Ms: number;
  cpuShare: number;
} {
  const worst = (pick: (f: GeneratorFigures) => number): number => Math.max(0, ...figures.map(pick));
  return {
    sendLagP50Ms: worst((f) => f.sendLagP50Ms),
    sendLagP99Ms: worst((f) => f.sendLagP99Ms),
    cpuShare: worst((f) => f.cpuShare),
  };
}

function describeGenerator(g: ReturnType<typeof generatorFigures>): string {
  return (
    `load generator: sent up to ${g.sendLagP50Ms.toFixed(2)} ms late at p50 and ${g.sendLagP99Ms.toFixed(1)} ms at p99 ` +
    `(worst round; counted in every latency above), used at most ${(100 * g.cpuShare).toFixed(0)}% of a core`
  );
}

function quantileOf(samples: readonly number[], q: number): number | undefined {
  return samples.length === 0 ? undefined : percentile(samples, q);
}

function fmt(x: number | undefined): string {
  return x === undefined ? '-' : x.toFixed(2);
}

function fmtLoad(x: unknown): string {
  return Array.isArray(x) ? x.map((v) => Number(v).toFixed(2)).join(' ') : '-';
}

async function writeResults(
  root: string,
  stamp: string,
  config: ApiBenchConfig,
  conditions: Record<string, unknown>,
  scenarios: readonly Scenario[],
  rounds: readonly unknown[],
  rows: readonly EndpointAtRate[],
  problems: string[],
): Promise<string> {
  const dir = join(root, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `api-latency-${stamp}.json`);
  const body = {
    benchmark: 'api-latency',
    at: new Date().toISOString(),
    machine: conditions,
    config: {
      ...config,
      roundWarmupMs: ROUND_WARMUP_MS,
      maxConnections: MAX_CONNECTIONS,
      goal: P99_RATIO_GOAL,
    },
    scenarios: scenarios.map(({ token: _token, paths, ...s }) => ({ ...s, paths: paths.length })),
    rows,
    rounds,
    problems,
  };
  await writeFile(file, JSON.stringify(body) + '\n');
  return file;
}

function say(msg: string): void {
  process.stderr.write(`[bench api] ${msg}\n`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[bench api] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
