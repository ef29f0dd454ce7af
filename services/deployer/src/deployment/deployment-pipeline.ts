import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { validateAppSelections } from '@fedops/catalog';
import type {
  ActivationKind,
  DeployConfigurationInput,
  DeploymentResult,
  MachineRef,
} from '@fedops/contracts';
import { describeError, FedopsError, FedopsErrorCode, normaliseDomain, validateDomain } from '@fedops/domain';
import { activatorFor, currentGeneration, type Activator } from '../activation/activator';
import { waitForHealthy, type HealthResult, type HealthTarget } from '../activation/health-checker';
import { renderFlake, type AppsManifest } from '../nixos/flake-renderer';
import { validateFlake } from '../nixos/nix-validator';
import { writeRenderedFiles } from '../nixos/write-rendered-files';
import { SshClient } from '../ssh/ssh-client';
import { shellQuote } from '../ssh/shell-quote';

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
}

/** What the machine remembers of the last deployment that became healthy: `<fsRoot>/etc/fedops/active.json`. */
interface ActiveDeployment {
  deploymentId: string;
  configHash: string;
  generation: number;
  apps: Array<{ app: string; url: string; host: string }>;
  at: string;
}

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

  async deploy(input: DeployConfigurationInput): Promise<DeploymentResult> {
    const fields = [...validateDomain(input.domain, 'domain'), ...validateAppSelections(input.apps, 'apps')];
    if (fields.length > 0) throw FedopsError.validation(fields);
    const { tenantId } = input;
    let machine = input.machine;
    const hostname = hostnameFor(tenantId);
    const rendered = renderFlake({
      tenantId,
      domain: normaliseDomain(input.domain),
      hostname,
      apps: input.apps,
    });
    const { configHash, manifest } = rendered;
    const ctx = { tenantId, machineId: machine.machineId, configHash };

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

      const client = new SshClient({
        host: machine.address,
        port: machine.sshPort,
        user: machine.sshUser,
        hostKey: machine.sshHostKey,
        privateKeyFile: this.deps.privateKeyFile,
        workDir: path.join(this.deps.workDir, 'ssh'),
      });
      machine = await identifyMachine(client, machine);
      const activator = (this.deps.activatorFor ?? ((kind: ActivationKind) => activatorFor(kind)))(
        machine.activation,
      );

      const previous = await currentGeneration(client, machine);
      const active = await this.readActive(client, machine);
      if (active !== undefined && active.configHash === configHash && active.generation === previous) {
        const health = await waitForHealthy(healthTargets(machine, manifest, previous), {
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
      await client.upload(localDir, stagedDir);
      this.log.info('configuration uploaded', { ...ctx, stagedDir });

      let activation;
      try {
        activation = await activator.activate(client, machine, stagedDir, hostname);
      } catch (err: unknown) {
        await this.rollbackIfSwitched(client, machine, activator, previous, ctx);
        throw new Error(`Activation of ${configHash} on ${machine.machineId} failed: ${describeError(err)}`, {
          cause: err,
        });
      }
      const { generation, warnings } = activation;
      this.log.info('configuration activated', { ...ctx, generation, warnings });

      const health = await waitForHealthy(healthTargets(machine, manifest, generation), {
        timeoutMs: this.deps.healthTimeoutMs ?? 120_000,
      });
      if (health.every((h) => h.healthy)) {
        const deploymentId = randomUUID();
        await this.writeActive(client, machine, {
          deploymentId,
          configHash,
          generation,
          apps: healthTargets(machine, manifest, generation).map((t) => ({
            app: t.app,
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
      active.apps.map((a) => ({ app: a.app, url: a.url, host: a.host })),
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

/** The machine's hostname (and flake attribute) for a tenant: `fedops-<tenant>` as one DNS label. */
export function hostnameFor(tenantId: string): string {
  const label = `fedops-${tenantId.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`
    .slice(0, 63)
    .replace(/-+$/, '');
  return label;
}

/** `http://<address>:<port><healthPath>` per app, with its fqdn as Host header. */
export function healthTargets(
  machine: MachineRef,
  manifest: AppsManifest,
  generation: number,
): HealthTarget[] {
  const host = machine.address.includes(':') ? `[${machine.address}]` : machine.address;
  return manifest.apps.map((a) => ({
    app: a.app,
    url: `http://${host}:${a.port}${a.healthPath}`,
    host: a.fqdn,
    // The stand-in says which generation answers, so a server left over from an older one is caught.
    checkBody:
      machine.activation === 'sandbox-standin'
        ? (body: string) => standinBodyProblem(body, a.app, generation)
        : undefined,
  }));
}

function standinBodyProblem(body: string, app: string, generation: number): string | undefined {
  try {
    const parsed = JSON.parse(body) as { app?: unknown; generation?: unknown; status?: unknown };
    if (parsed.app !== app) return `answered for app ${String(parsed.app)}, expected ${app}`;
    if (parsed.generation !== generation)
      return `answered from generation ${String(parsed.generation)}, expected ${generation}`;
    return parsed.status === 'ok' ? undefined : `status ${String(parsed.status)}`;
  } catch {
    return 'answer is not the stand-in health JSON';
  }
}

function summary(health: HealthResult[]): string {
  return health
    .map((h) => `${h.app} (${h.url}): ${h.healthy ? 'healthy' : (h.problem ?? 'unhealthy')}`)
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
    apps: health.map((h) => ({ app: h.app, healthy: h.healthy, url: h.url })),
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
