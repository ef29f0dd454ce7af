import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { spawnManaged, waitUntilReady, type ManagedProcess } from '../infra/managed-process';
import { startOnPorts, type PortPicker } from '../infra/port-allocation';
import type { InfraEndpoints } from '../infra/types';
import { waitFor } from '../wait-for';
import { ensurePlatformSecrets, type PlatformSecrets } from './platform-keys';

export const SERVICE_NAMES = ['tenant-api', 'provisioner', 'dns', 'deployer', 'backup'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface PlatformOptions {
  /** Root of the repository (services are started from their compiled dist/main.js). */
  repoRoot: string;
  /** Keys, logs, sandbox machines and backup repositories live here. */
  dataDir: string;
  infra: InfraEndpoints;
  /**
   * Each service's PostgreSQL URL: the database they share, as the service's own role, which
   * reaches only its schema (from provisionPlatformDatabase).
   */
  databaseUrls: Record<ServiceName, string>;
  oidcIssuerUrl: string;
  /** Network-namespace name prefix of sandbox machines (keep tests and `npm start` apart). */
  sandboxPrefix: string;
  /** /16 for sandbox machine addresses. */
  sandboxSubnet?: string;
  sandboxBootDelayMs?: number;
  /** Hours between a new tenant's scheduled backups; default: tenant-api's (24). */
  backupIntervalHours?: number;
  /** Fixed HTTP ports; missing ones are picked free (and picked again if taken before the bind). */
  ports?: Partial<Record<ServiceName, number>>;
  /** Where free ports come from (tests inject one handing out a port they hold). */
  portPicker?: PortPicker;
  /** Extra environment per service (e.g. fault injection in tests). */
  extraEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  readyTimeoutMs?: number;
}

export interface RunningService {
  name: ServiceName;
  url: string;
  process: ManagedProcess;
  logFile: string;
}

/**
 * The five fedops services as real processes against real infrastructure: the local platform of
 * `npm start`, the end-to-end tests and the benchmarks all start it this way.
 */
export class Platform {
  private readonly running = new Map<ServiceName, RunningService>();

  private constructor(
    private readonly options: PlatformOptions,
    private readonly secrets: PlatformSecrets,
    /** The port each service got on its first start; restarts keep it (the URLs stay valid). */
    private readonly ports: Partial<Record<ServiceName, number>>,
  ) {}

  static async start(options: PlatformOptions): Promise<Platform> {
    const dataDir = resolve(options.dataDir);
    await mkdir(join(dataDir, 'logs'), { recursive: true });
    const secrets = await ensurePlatformSecrets(join(dataDir, 'keys'));
    const platform = new Platform({ ...options, dataDir }, secrets, {});
    // All in parallel; every start settles before a failure is reported, so none is left running.
    const started = await Promise.allSettled(SERVICE_NAMES.map((name) => platform.startService(name)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await platform.stop();
      throw failed.reason;
    }
    return platform;
  }

  get apiUrl(): string {
    return this.serviceUrl('tenant-api');
  }

  get sshPrivateKeyFile(): string {
    return this.secrets.sshPrivateKeyFile;
  }

  service(name: ServiceName): RunningService {
    const s = this.running.get(name);
    if (s === undefined) throw new Error(`${name} is not running`);
    return s;
  }

  serviceUrl(name: ServiceName): string {
    const port = this.ports[name];
    if (port === undefined) throw new Error(`${name} has no port yet: it was never started`);
    return `http://127.0.0.1:${port}`;
  }

  /** A service's log file (JSON lines), kept across restarts. */
  logFile(name: ServiceName): string {
    return join(this.options.dataDir, 'logs', `${name}.log`);
  }

  /**
   * Starts one service (again) and waits until its /readyz answers 200. The first start takes the
   * requested port or a free one (moving on when it is taken before the bind); later starts reuse it.
   */
  async startService(name: ServiceName): Promise<RunningService> {
    const { value: service, ports } = await startOnPorts({
      component: name,
      names: ['http'],
      requested: { http: this.ports[name] ?? this.options.ports?.[name] },
      ...(this.options.portPicker ? { pickPorts: this.options.portPicker } : {}),
      start: ({ http }) => this.startOn(name, http),
    });
    this.ports[name] = ports.http;
    this.running.set(name, service);
    return service;
  }

  private async startOn(name: ServiceName, port: number): Promise<RunningService> {
    const logFile = this.logFile(name);
    const proc = await spawnManaged({
      name,
      command: process.execPath,
      args: ['--enable-source-maps', join(this.options.repoRoot, 'services', name, 'dist', 'main.js')],
      logFile,
      cwd: this.options.repoRoot,
      env: { ...process.env, ...this.envFor(name, port) },
      graceMs: 30_000,
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilReady(
        proc,
        async () => {
          // A deadline per probe: whatever else holds the port may accept and never answer.
          const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(
            () => undefined,
          );
          return res?.status === 200;
        },
        {
          description: `${name} to become ready at ${url}/readyz`,
          timeoutMs: this.options.readyTimeoutMs ?? 90_000,
          intervalMs: 200,
          ports: [port],
        },
      );
    } catch (err) {
      await proc.stop();
      throw err;
    }
    return { name, url, process: proc, logFile };
  }

  /** Sends a signal without waiting (SIGKILL simulates a crash). */
  kill(name: ServiceName, signal: NodeJS.Signals): void {
    process.kill(this.service(name).process.pid, signal);
  }

  async waitForExit(name: ServiceName, timeoutMs = 30_000): Promise<void> {
    const { exited } = this.service(name).process;
    await waitFor(() => exited.aborted, { description: `${name} to exit`, timeoutMs, intervalMs: 50 });
    this.running.delete(name);
  }

  /** Graceful stop of every service (workers drain), in parallel. */
  async stop(): Promise<void> {
    await Promise.all([...this.running.values()].map((s) => s.process.stop()));
    this.running.clear();
  }

  private envFor(name: ServiceName, port: number): Record<string, string> {
    const o = this.options;
    const common: Record<string, string> = {
      FEDOPS_HTTP_PORT: String(port),
      FEDOPS_HTTP_HOST: '127.0.0.1',
      FEDOPS_DATABASE_URL: o.databaseUrls[name],
      FEDOPS_NATS_URL: o.infra.nats.url,
      // Its own user: publishes only its events, subscribes only to its replies (nats.config.ts).
      FEDOPS_NATS_USER: o.infra.nats.services[name].user,
      FEDOPS_NATS_PASSWORD: o.infra.nats.services[name].password,
      FEDOPS_TEMPORAL_ADDRESS: o.infra.temporal.address,
      FEDOPS_TEMPORAL_NAMESPACE: o.infra.temporal.namespace,
      FEDOPS_LOG_LEVEL: o.logLevel ?? 'info',
    };
    const own: Record<ServiceName, Record<string, string>> = {
      'tenant-api': {
        FEDOPS_OIDC_ISSUER_URL: o.oidcIssuerUrl,
        FEDOPS_PUBLIC_URL: `http://127.0.0.1:${port}`,
        // The organisations of the embedded issuer's seeded operators (their tokens' org claim).
        FEDOPS_SEED_ORGANISATIONS: 'acme=Acme Corporation,globex=Globex Corporation',
        ...(o.backupIntervalHours !== undefined
          ? { FEDOPS_BACKUP_INTERVAL_HOURS: String(o.backupIntervalHours) }
          : {}),
      },
      provisioner: {
        FEDOPS_SANDBOX_STATE_DIR: join(o.dataDir, 'sandbox'),
        FEDOPS_SANDBOX_PREFIX: o.sandboxPrefix,
        ...(o.sandboxSubnet !== undefined ? { FEDOPS_SANDBOX_SUBNET: o.sandboxSubnet } : {}),
        FEDOPS_SANDBOX_BOOT_DELAY_MS: String(o.sandboxBootDelayMs ?? 0),
        FEDOPS_SSH_PUBLIC_KEY_FILE: this.secrets.sshPublicKeyFile,
        FEDOPS_SECRET_KEY: this.secrets.secretKey,
        FEDOPS_PROVIDER_POLL_INTERVAL_MS: '200',
      },
      dns: {
        FEDOPS_POWERDNS_API_URL: o.infra.powerdns.apiUrl,
        FEDOPS_POWERDNS_API_KEY: o.infra.powerdns.apiKey,
        FEDOPS_POWERDNS_SERVER_ID: o.infra.powerdns.serverId,
        // Local names for the zones' SOA and NS (`npm start`, e2e tests); production sets real ones.
        FEDOPS_DNS_NAMESERVERS: 'ns1.fedops.localhost.,ns2.fedops.localhost.',
        FEDOPS_DNS_HOSTMASTER: 'hostmaster@fedops.localhost',
      },
      deployer: {
        FEDOPS_SSH_PRIVATE_KEY_FILE: this.secrets.sshPrivateKeyFile,
        FEDOPS_DEPLOYER_WORK_DIR: join(o.dataDir, 'deployer'),
        FEDOPS_SECRET_KEY: this.secrets.secretKey,
      },
      backup: {
        FEDOPS_SSH_PRIVATE_KEY_FILE: this.secrets.sshPrivateKeyFile,
        FEDOPS_BACKUP_WORK_DIR: join(o.dataDir, 'backup'),
        FEDOPS_SECRET_KEY: this.secrets.secretKey,
        FEDOPS_BACKUP_S3_ENDPOINT: o.infra.s3.endpoint,
        FEDOPS_BACKUP_S3_REGION: o.infra.s3.region,
        FEDOPS_BACKUP_S3_BUCKET: o.infra.s3.bucket,
        FEDOPS_BACKUP_S3_ACCESS_KEY_ID: o.infra.s3.accessKeyId,
        FEDOPS_BACKUP_S3_SECRET_ACCESS_KEY: o.infra.s3.secretAccessKey,
        // The endpoint is the host's 127.0.0.1, which machines in network namespaces cannot reach:
        // the backup service tunnels the port over its SSH connection to the machine.
        FEDOPS_BACKUP_S3_REACH: 'ssh-tunnel',
      },
    };
    return { ...common, ...own[name], ...(o.extraEnv?.[name] ?? {}) };
  }
}
