import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { requireApp, requireSecret, validateAppSelections } from '@fedops/catalog';
import type {
  ActiveConfiguration,
  ActivationKind,
  DeployConfigurationInput,
  DeploymentResult,
  MachineRef,
} from '@fedops/contracts';
import { describeError, FedopsError, FedopsErrorCode, normaliseDomain, validateDomain } from '@fedops/domain';
import { activatorFor, currentGeneration, type Activator } from '../activation/activator';
import { waitForHealthy, type HealthResult, type HealthTarget } from '../activation/health-checker';
import {
  hostnameFor,
  renderFlake,
  SMTP_SECRETS_APP,
  type AppsManifest,
  type SecretFileRef,
} from '../nixos/flake-renderer';
import type { SmtpRelayConfig } from '../config/deployer.config';
import { NIXPKGS_PIN } from '../nixos/nixpkgs-pin';
import { renderedOptionProblems } from '../nixos/options/check-options';
import { secretFileContent } from '../secrets/secret-generator';
import { secretKey, type SecretSource } from '../secrets/tenant-secret.service';
import { validateFlake } from '../nixos/nix-validator';
import { writeRenderedFiles } from '../nixos/write-rendered-files';
import { SshClient } from '@fedops/service-kit';
import { shellQuote } from '@fedops/service-kit';

export interface PipelineLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface DeploymentPipelineDeps {
  /** Local scratch space: rendered flakes and known_hosts files. */
  workDir: string;
  /** The platform's SSH private key for machines. */
  privateKeyFile: string;
  logger?: PipelineLogger;
  /** How long apps get to become healthy after activation; default 120 s. */
  healthTimeoutMs?: number;
  /** Activator per machine kind; default NixosRebuildActivator / SandboxStandinActivator. */
  activatorFor?: (kind: ActivationKind) => Activator;
  /** Values of the apps' generated secrets; needed for every configuration that reads one. */
  secrets?: SecretSource;
  /** The platform's mail relay: rendered into the apps, its password delivered like their secrets. */
  smtp?: SmtpRelayConfig;
}

/** What the machine remembers of the last deployment that became healthy: `<fsRoot>/etc/fedops/active.json`. */
interface ActiveDeployment {
  deploymentId: string;
  configHash: string;
  generation: number;
  apps: Array<{ app: string; endpoint?: string; url: string; host: string }>;
  at: string;
}

/** Paths the secret writer takes as one word: no spaces, quotes or line breaks. */
const SAFE_REMOTE_PATH = /^\/[A-Za-z0-9._/-]+$/;

/**
 * Writes each `<path> <base64>` line of stdin as a file only root can read (mode 0400), atomically;
 * stops at the first failure. Runs with POSIX sh and coreutils, on NixOS and in the sandbox.
 */
const WRITE_SECRET_FILES =
  'umask 077; while read -r file data; do ' +
  'mkdir -p "${file%/*}" && printf %s "$data" | base64 -d > "$file.tmp" && ' +
  'chmod 400 "$file.tmp" && mv -f "$file.tmp" "$file" || exit 1; done';

const silent: PipelineLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Deploys a tenant's apps to its machine: render the NixOS flake, validate it, upload it to
 * `<fsRoot>/etc/fedops/staging/<configHash>`, activate it, and wait until every app answers its
 * health check; when they do not, roll back to the previous generation and fail with
 * HEALTH_CHECK_FAILED. Deploying the configuration that is already active and healthy changes nothing.
 */
export class DeploymentPipeline {
  private readonly log: PipelineLogger;

  constructor(private readonly deps: DeploymentPipelineDeps) {
    this.log = deps.logger ?? silent;
  }

  /** `signal`: the activity's cancellation; it ends the remote commands in flight and stops the steps after. */
  async deploy(
    input: DeployConfigurationInput,
    options: { signal?: AbortSignal } = {},
  ): Promise<DeploymentResult> {
    const { signal } = options;
    const fields = [...validateDomain(input.domain, 'domain'), ...validateAppSelections(input.apps, 'apps')];
    if (fields.length > 0) throw FedopsError.validation(fields);
    const { tenantId } = input;
    const client = this.clientFor(input.machine);
    // What the machine is decides its profile in the configuration and how it is activated.
    const machine = await identifyMachine(client, input.machine);
    const hostname = hostnameFor(tenantId);
    const rendered = renderFlake({
      tenantId,
      domain: normaliseDomain(input.domain),
      hostname,
      apps: input.apps,
      machineKind: machine.activation === 'sandbox-standin' ? 'sandbox' : machine.provider,
      ...(this.deps.smtp === undefined
        ? {}
        : {
            smtp: { host: this.deps.smtp.host, port: this.deps.smtp.port, username: this.deps.smtp.username },
          }),
    });
    const { configHash, manifest } = rendered;
    const ctx = { tenantId, machineId: machine.machineId, configHash };
    // Every option path and value against the pinned release's option list: a typo or a removed
    // option fails here, before a NixOS host spends minutes evaluating.
    const optionProblems = renderedOptionProblems(rendered.modules);
    if (optionProblems.length > 0)
      throw new FedopsError(
        FedopsErrorCode.ConfigurationInvalid,
        `Rendered NixOS configuration sets options NixOS ${NIXPKGS_PIN.release} does not have: ${optionProblems.join('; ')}`,
      );

    const localDir = path.join(
      this.deps.workDir,
      'renders',
      `${tenantId.replace(/[^A-Za-z0-9_-]/g, '_')}-${configHash}`,
    );
    await mkdir(this.deps.workDir, { recursive: true });
    try {
      await writeRenderedFiles(localDir, rendered.files);
      try {
        const { warnings } = await validateFlake(localDir);
        if (warnings.length > 0)
          this.log.warn('nix warned while validating the configuration', { ...ctx, warnings });
      } catch (err: unknown) {
        throw new FedopsError(FedopsErrorCode.ConfigurationInvalid, describeError(err), { cause: err });
      }

      const activator = (this.deps.activatorFor ?? ((kind: ActivationKind) => activatorFor(kind)))(
        machine.activation,
      );

      const previous = await currentGeneration(client, machine);
      const active = await this.readActive(client, machine);
      if (active !== undefined && active.configHash === configHash && active.generation === previous) {
        const real = await realEndpoints(client, machine, previous);
        const health = await waitForHealthy(healthTargets(machine, manifest, previous, real), {
          timeoutMs: 10_000,
        });
        if (health.every((h) => h.healthy)) {
          this.log.info('configuration already active and healthy; nothing to do', {
            ...ctx,
            generation: previous,
          });
          return result(active.deploymentId, previous, configHash, health);
        }
        this.log.warn('configuration is active but unhealthy; activating it again', {
          ...ctx,
          health: summary(health),
        });
      }

      const stagedDir = path.posix.join(machine.fsRoot, 'etc/fedops/staging', configHash);
      signal?.throwIfAborted();
      await client.upload(localDir, stagedDir);
      this.log.info('configuration uploaded', { ...ctx, stagedDir });
      await this.deliverSecrets(client, machine, tenantId, rendered.secretFiles, signal);

      let activation;
      try {
        activation = await activator.activate(client, machine, stagedDir, hostname, signal);
      } catch (err: unknown) {
        await this.rollbackIfSwitched(client, machine, activator, previous, ctx);
        throw new Error(`Activation of ${configHash} on ${machine.machineId} failed: ${describeError(err)}`, {
          cause: err,
        });
      }
      const { generation, warnings } = activation;
      this.log.info('configuration activated', { ...ctx, generation, warnings });

      const targets = healthTargets(
        machine,
        manifest,
        generation,
        await realEndpoints(client, machine, generation),
      );
      const health = await waitForHealthy(targets, {
        timeoutMs: this.deps.healthTimeoutMs ?? 120_000,
      });
      if (health.every((h) => h.healthy)) {
        const deploymentId = randomUUID();
        await this.writeActive(client, machine, {
          deploymentId,
          configHash,
          generation,
          apps: targets.map((t) => ({
            app: t.app,
            ...(t.endpoint === undefined ? {} : { endpoint: t.endpoint }),
            url: t.url,
            host: t.host ?? '',
          })),
          at: new Date().toISOString(),
        });
        this.log.info('deployment healthy', { ...ctx, deploymentId, generation });
        return result(deploymentId, generation, configHash, health);
      }

      const unhealthy = summary(health.filter((h) => !h.healthy));
      this.log.warn('apps not healthy after activation; rolling back', {
        ...ctx,
        generation,
        unhealthy,
        warnings,
      });
      const rollbackNote = await this.rollbackAfterHealthFailure(
        client,
        machine,
        activator,
        previous,
        active,
        ctx,
      );
      throw new FedopsError(
        FedopsErrorCode.HealthCheckFailed,
        `Apps not healthy after activating generation ${generation} on ${machine.machineId}: ${unhealthy}; ${rollbackNote}`,
      );
    } finally {
      await rm(localDir, { recursive: true, force: true });
    }
  }

  private async rollbackAfterHealthFailure(
    client: SshClient,
    machine: MachineRef,
    activator: Activator,
    previous: number | undefined,
    active: ActiveDeployment | undefined,
    ctx: Record<string, unknown>,
  ): Promise<string> {
    if (previous === undefined) return 'no earlier generation to roll back to';
    let generation: number;
    try {
      ({ generation } = await activator.rollback(client, machine));
    } catch (err: unknown) {
      this.log.error('rollback failed', { ...ctx, error: describeError(err) });
      return `rollback failed: ${describeError(err)}`;
    }
    if (active === undefined || active.generation !== generation)
      return `rolled back to generation ${generation}`;
    const health = await waitForHealthy(
      active.apps.map((a) => ({ ...a })),
      { timeoutMs: 30_000 },
    );
    const ok = health.every((h) => h.healthy);
    this.log.info('rolled back', { ...ctx, generation, healthy: ok });
    return `rolled back to generation ${generation} (${ok ? 'healthy' : `still unhealthy: ${summary(health.filter((h) => !h.healthy))}`})`;
  }

  private async rollbackIfSwitched(
    client: SshClient,
    machine: MachineRef,
    activator: Activator,
    previous: number | undefined,
    ctx: Record<string, unknown>,
  ): Promise<void> {
    try {
      const now = await currentGeneration(client, machine);
      if (previous !== undefined && now !== undefined && now !== previous) {
        const { generation } = await activator.rollback(client, machine);
        this.log.warn('activation failed after switching; rolled back', { ...ctx, generation });
      }
    } catch (err: unknown) {
      this.log.error('could not roll back after a failed activation', { ...ctx, error: describeError(err) });
    }
  }

  /**
   * Writes every secret file the configuration reads, mode 0400, under the machine's root; values
   * come from the secret source (generated once per tenant). Owners are set on the machine by the
   * configuration itself (base.nix), once the apps' users exist.
   */
  private async deliverSecrets(
    client: SshClient,
    machine: MachineRef,
    tenantId: string,
    files: readonly SecretFileRef[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (files.length === 0) return;
    const appFiles = files.filter((f) => f.app !== SMTP_SECRETS_APP);
    const requests = uniqueBy(
      appFiles.map((f) => ({ app: f.app, secret: requireSecret(requireApp(f.app), f.secret) })),
      (r) => secretKey(r.app, r.secret.name),
    );
    let values = new Map<string, string>();
    if (requests.length > 0) {
      if (this.deps.secrets === undefined)
        throw new Error('The configuration reads secrets but the pipeline has no secret source');
      values = await this.deps.secrets.valuesFor(tenantId, requests);
    }
    // One session for all files: `<path> <base64 of the content>` per line on stdin (never argv).
    const lines = files.map((f) => {
      const target = path.posix.join(machine.fsRoot, f.path);
      if (!SAFE_REMOTE_PATH.test(target)) throw new Error(`Unsafe secret path ${target}`);
      return `${target} ${Buffer.from(this.secretContent(f, values), 'utf8').toString('base64')}\n`;
    });
    await client.execOrThrow(WRITE_SECRET_FILES, {
      stdin: lines.join(''),
      timeoutMs: 60_000,
      ...(signal === undefined ? {} : { signal }),
    });
    this.log.info('secrets delivered', { tenantId, machineId: machine.machineId, files: files.length });
  }

  /** A secret file's content: the relay password from config, or the app secret's stored value. */
  private secretContent(f: SecretFileRef, values: ReadonlyMap<string, string>): string {
    if (f.app === SMTP_SECRETS_APP) {
      if (this.deps.smtp === undefined)
        throw new Error('The configuration reads the relay password but no relay is configured');
      return this.deps.smtp.password;
    }
    const value = values.get(secretKey(f.app, f.secret));
    if (value === undefined) throw new Error(`No value for secret ${f.app}/${f.secret}`);
    return secretFileContent(requireSecret(requireApp(f.app), f.secret), value);
  }

  /**
   * What the machine runs now: its system profile's generation and the configuration hash fedops
   * wrote with the generation it activated last. Changes nothing on the machine.
   */
  async inspect(machineRef: MachineRef): Promise<ActiveConfiguration> {
    const client = this.clientFor(machineRef);
    const machine = await identifyMachine(client, machineRef);
    const generation = await currentGeneration(client, machine);
    const active = await this.readActive(client, machine);
    return {
      ...(generation !== undefined ? { generation } : {}),
      // The hash belongs to the generation active.json names; another generation's is unknown.
      ...(active !== undefined && active.generation === generation ? { configHash: active.configHash } : {}),
    };
  }

  private clientFor(machine: MachineRef): SshClient {
    return new SshClient({
      host: machine.address,
      port: machine.sshPort,
      user: machine.sshUser,
      hostKey: machine.sshHostKey,
      privateKeyFile: this.deps.privateKeyFile,
      workDir: path.join(this.deps.workDir, 'ssh'),
    });
  }

  private activeFile(machine: MachineRef): string {
    return path.posix.join(machine.fsRoot, 'etc/fedops/active.json');
  }

  private async readActive(client: SshClient, machine: MachineRef): Promise<ActiveDeployment | undefined> {
    const file = shellQuote(this.activeFile(machine));
    const { stdout } = await client.execOrThrow(`if [ -f ${file} ]; then cat ${file}; fi`, {
      timeoutMs: 30_000,
    });
    if (stdout.trim() === '') return undefined;
    try {
      return JSON.parse(stdout) as ActiveDeployment;
    } catch (err: unknown) {
      this.log.warn('ignoring unreadable active.json', {
        machineId: machine.machineId,
        error: describeError(err),
      });
      return undefined;
    }
  }

  private async writeActive(client: SshClient, machine: MachineRef, active: ActiveDeployment): Promise<void> {
    await client.writeFile(this.activeFile(machine), JSON.stringify(active, null, 2) + '\n', 0o644);
  }
}

/**
 * `https://<address>:443<healthPath>` per http endpoint of every app, with its fqdn as Host and TLS
 * server name: through the machine's nginx, as a visitor comes (the firewall keeps the apps' own
 * ports closed). The same on NixOS and in the sandbox stand-in, whose front is nginx too.
 * On a sandbox machine the stand-in's answer names the generation; an endpoint in `real`
 * (`<app>/<endpoint>`, see realEndpoints) is answered by the real server, whose answer is its own.
 */
export function healthTargets(
  machine: MachineRef,
  manifest: AppsManifest,
  generation: number,
  real: ReadonlySet<string> = new Set(),
): HealthTarget[] {
  const host = machine.address.includes(':') ? `[${machine.address}]` : machine.address;
  return manifest.apps.flatMap((a) =>
    a.endpoints.flatMap((e) =>
      e.kind !== 'http' || e.port === undefined || e.healthPath === undefined
        ? []
        : [
            {
              app: a.app,
              endpoint: e.id,
              url: `https://${host}${e.healthPath}`,
              host: e.fqdn,
              // The stand-in says which generation answers, so a server left over from an older one is
              // caught; where a real server should answer, a stand-in's answer is the wrong server.
              checkBody:
                machine.activation !== 'sandbox-standin'
                  ? undefined
                  : real.has(`${a.app}/${e.id}`)
                    ? (body: string) => realServerBodyProblem(body)
                    : (body: string) => standinBodyProblem(body, a.app, e.id, generation),
            },
          ],
    ),
  );
}

/**
 * The endpoints (`<app>/<endpoint>`) that real servers answer in a sandbox machine's generation: the
 * `realEndpoints` the stand-in writes into the generation's fedops-generation.json. Empty on NixOS
 * machines (every app is real and no body is checked) and for generations that list none.
 */
export async function realEndpoints(
  client: SshClient,
  machine: MachineRef,
  generation: number | undefined,
): Promise<ReadonlySet<string>> {
  if (machine.activation !== 'sandbox-standin' || generation === undefined) return new Set();
  const file = shellQuote(
    path.posix.join(machine.fsRoot, `nix/var/nix/profiles/system-${generation}-link/fedops-generation.json`),
  );
  const { stdout } = await client.execOrThrow(`if [ -f ${file} ]; then cat ${file}; fi`, {
    timeoutMs: 30_000,
  });
  let listed: unknown;
  try {
    listed = stdout.trim() === '' ? [] : (JSON.parse(stdout) as { realEndpoints?: unknown }).realEndpoints;
  } catch {
    return new Set();
  }
  if (!Array.isArray(listed)) return new Set();
  return new Set(
    listed.flatMap((r: unknown) => {
      const { app, endpoint } = (r ?? {}) as { app?: unknown; endpoint?: unknown };
      return typeof app === 'string' && typeof endpoint === 'string' ? [`${app}/${endpoint}`] : [];
    }),
  );
}

/** A real server's health answer is its own (Dendrite: empty; Gitea: {"status":"pass"}), never the stand-in's JSON. */
function realServerBodyProblem(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { app?: unknown; generation?: unknown; status?: unknown };
    if (typeof parsed.app === 'string' && 'generation' in parsed && parsed.status === 'ok')
      return `answered by the stand-in for ${parsed.app}, not by the real server`;
  } catch {
    // not JSON, so not the stand-in's answer
  }
  return undefined;
}

function standinBodyProblem(
  body: string,
  app: string,
  endpoint: string,
  generation: number,
): string | undefined {
  try {
    const parsed = JSON.parse(body) as {
      app?: unknown;
      endpoint?: unknown;
      generation?: unknown;
      status?: unknown;
    };
    if (parsed.app !== app) return `answered for app ${String(parsed.app)}, expected ${app}`;
    if (parsed.endpoint !== endpoint)
      return `answered for endpoint ${String(parsed.endpoint)}, expected ${endpoint}`;
    if (parsed.generation !== generation)
      return `answered from generation ${String(parsed.generation)}, expected ${generation}`;
    return parsed.status === 'ok' ? undefined : `status ${String(parsed.status)}`;
  } catch {
    return 'answer is not the stand-in health JSON';
  }
}

function summary(health: HealthResult[]): string {
  return health
    .map(
      (h) =>
        `${h.app}${h.endpoint === undefined ? '' : `/${h.endpoint}`} (${h.url}): ${h.healthy ? 'healthy' : (h.problem ?? 'unhealthy')}`,
    )
    .join(', ');
}

function result(
  deploymentId: string,
  generation: number,
  configHash: string,
  health: HealthResult[],
): DeploymentResult {
  return {
    deploymentId,
    generation,
    configHash,
    apps: health.map((h) => ({
      app: h.app,
      ...(h.endpoint === undefined ? {} : { endpoint: h.endpoint }),
      healthy: h.healthy,
      url: h.url,
    })),
  };
}

/**
 * What the machine says it is. A sandbox machine's sshd names its root folder (`SetEnv
 * FEDOPS_SANDBOX_ROOT`, libs/sandbox-host), whichever driver made it — the sandbox driver, or a
 * simulated Proxmox, Hetzner or DigitalOcean VM, which the vendor's API cannot describe as such — and
 * gets the stand-in activation under that root. A VM names none and keeps what the provisioner said.
 */
export async function identifyMachine(client: SshClient, machine: MachineRef): Promise<MachineRef> {
  const { stdout } = await client.execOrThrow('printf %s "${FEDOPS_SANDBOX_ROOT:-}"');
  const root = stdout.trim();
  if (root === '') return machine;
  return { ...machine, fsRoot: root, activation: 'sandbox-standin' };
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}
