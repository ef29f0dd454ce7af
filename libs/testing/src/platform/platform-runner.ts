import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freePort } from '../infra/free-port';
import { logTail, spawnManaged, type ManagedProcess } from '../infra/managed-process';
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
  /** PostgreSQL database the services share, each in its own schema. */
  databaseUrl: string;
  oidcIssuerUrl: string;
  /** Network-namespace name prefix of sandbox machines (keep tests and `npm start` apart). */
  sandboxPrefix: string;
  /** /16 for sandbox machine addresses. */
  sandboxSubnet?: string;
  sandboxBootDelayMs?: number;
  /** Fixed HTTP ports; missing ones are picked free. */
  ports?: Partial<Record<ServiceName, number>>;
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
    private readonly ports: Record<ServiceName, number>,
  ) {}

  static async start(options: PlatformOptions): Promise<Platform> {
    const dataDir = resolve(options.dataDir);
    await mkdir(join(dataDir, 'logs'), { recursive: true });
    const secrets = await ensurePlatformSecrets(join(dataDir, 'keys'));
    const ports = {} as Record<ServiceName, number>;
    for (const name of SERVICE_NAMES) ports[name] = options.ports?.[name] ?? (await freePort());
    const platform = new Platform({ ...options, dataDir }, secrets, ports);
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
    return `http://127.0.0.1:${this.ports['tenant-api']}`;
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
    return `http://127.0.0.1:${this.ports[name]}`;
  }

  /** A service's log file (JSON lines), kept across restarts. */
  logFile(name: ServiceName): string {
    return join(this.options.dataDir, 'logs', `${name}.log`);
  }

  /** Starts one service (again) and waits until its /readyz answers 200. */
  async startService(name: ServiceName): Promise<RunningService> {
    const logFile = this.logFile(name);
    const proc = await spawnManaged({
      name,
      command: process.execPath,
      args: ['--enable-source-maps', join(this.options.repoRoot, 'services', name, 'dist', 'main.js')],
      logFile,
      cwd: this.options.repoRoot,
      env: { ...process.env, ...this.envFor(name) },
      graceMs: 30_000,
    });
    const url = this.serviceUrl(name);
    try {
      await waitFor(
        async () => {
          const res = await fetch(`${url}/readyz`).catch(() => undefined);
          return res?.status === 200;
        },
        {
          description: `${name} to become ready at ${url}/readyz`,
          timeoutMs: this.options.readyTimeoutMs ?? 90_000,
          intervalMs: 200,
          signal: proc.exited,
        },
      );
    } catch (err) {
      await proc.stop();
      throw new Error(`${name} did not start. Last log lines:\n${await logTail(logFile, 30)}`, {
        cause: err,
      });
    }
    const service = { name, url, process: proc, logFile };
    this.running.set(name, service);
    return service;
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

  private envFor(name: ServiceName): Record<string, string> {
    const o = this.options;
    const common: Record<string, string> = {
      FEDOPS_HTTP_PORT: String(this.ports[name]),
      FEDOPS_HTTP_HOST: '127.0.0.1',
      FEDOPS_DATABASE_URL: o.databaseUrl,
      FEDOPS_NATS_URL: o.infra.natsUrl,
      FEDOPS_TEMPORAL_ADDRESS: o.infra.temporal.address,
      FEDOPS_TEMPORAL_NAMESPACE: o.infra.temporal.namespace,
      FEDOPS_LOG_LEVEL: o.logLevel ?? 'info',
    };
    const own: Record<ServiceName, Record<string, string>> = {
      'tenant-api': { FEDOPS_OIDC_ISSUER_URL: o.oidcIssuerUrl, FEDOPS_PUBLIC_URL: this.apiUrl },
      provisioner: {
        FEDOPS_SANDBOX_STATE_DIR: join(o.dataDir, 'sandbox'),
        FEDOPS_SANDBOX_PREFIX: o.sandboxPrefix,
        ...(o.sandboxSubnet !== undefined ? { FEDOPS_SANDBOX_SUBNET: o.sandboxSubnet } : {}),
        FEDOPS_SANDBOX_BOOT_DELAY_MS: String(o.sandboxBootDelayMs ?? 0),
        FEDOPS_SSH_PUBLIC_KEY_FILE: this.secrets.sshPublicKeyFile,
      },
      dns: {
        FEDOPS_POWERDNS_API_URL: o.infra.powerdns.apiUrl,
        FEDOPS_POWERDNS_API_KEY: o.infra.powerdns.apiKey,
        FEDOPS_POWERDNS_SERVER_ID: o.infra.powerdns.serverId,
        FEDOPS_DNS_NAMESERVERS: 'ns1.fedops.localhost.,ns2.fedops.localhost.',
        FEDOPS_DNS_HOSTMASTER: 'hostmaster@fedops.localhost',
      },
      deployer: {
        FEDOPS_SSH_PRIVATE_KEY_FILE: this.secrets.sshPrivateKeyFile,
        FEDOPS_DEPLOYER_WORK_DIR: join(o.dataDir, 'deployer'),
      },
      backup: {
        FEDOPS_BACKUP_ROOT_DIR: join(o.dataDir, 'backups'),
        FEDOPS_SECRET_KEY: this.secrets.secretKey,
      },
    };
    return { ...common, ...own[name], ...(o.extraEnv?.[name] ?? {}) };
  }
}
