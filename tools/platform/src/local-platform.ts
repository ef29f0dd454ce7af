import { join } from 'node:path';
import {
  INFRA_COMPONENTS,
  Platform,
  SERVICE_NAMES,
  componentStateFile,
  ensureDatabase,
  provisionPlatformDatabase,
  startInfrastructure,
  startOidcIssuer,
  type InfraComponent,
  type Infrastructure,
  type OidcIssuerHandle,
  type RunningComponent,
  type S3Endpoint,
  fetchToken,
} from '@fedops/testing';
import type { LauncherConfig } from './launcher-config';
import { LOCAL_PORTS } from './local-ports';
import {
  registerSimulatedProviders,
  startSimulatedProviders,
  type SimulatedProvider,
} from './simulated-providers';
import type { SupervisedProcess, Supervisor } from './supervisor/supervisor';

/**
 * The whole local platform, started in order (infrastructure, issuer, services) and handed to the
 * supervisor group by group. The restart wiring of every component is here and only here:
 * infrastructure through `Infrastructure.restart` (same data dir, same ports), the issuer on its
 * port with its keys, a service through `Platform.startService` (same port).
 */
export class LocalPlatform {
  private infra: Infrastructure | undefined;
  private issuer: OidcIssuerHandle | undefined;
  private platform: Platform | undefined;
  private simulated: SimulatedProvider[] = [];

  constructor(
    private readonly config: LauncherConfig,
    private readonly repoRoot: string,
    private readonly supervisor: Supervisor,
    private readonly say: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    const { dataDir } = this.config;
    const fixed = this.config.ports === 'fixed';
    this.say('starting PostgreSQL, NATS JetStream, Temporal, PowerDNS and S3 (versitygw)');
    const infra = await startInfrastructure({
      dataDir: join(dataDir, 'infra'),
      ephemeral: false,
      temporalUi: true,
      ...(fixed ? { ports: LOCAL_PORTS.infra } : {}),
    });
    this.infra = infra;
    if (infra.mode === 'native') {
      for (const name of INFRA_COMPONENTS) {
        this.supervisor.add({
          name,
          logFile: infra.component(name)?.logFile,
          restart: () => this.restartInfra(name),
        });
        this.supervisor.started(name, supervisedProcess(name, infra.component(name)));
      }
    } else {
      this.say('infrastructure runs in containers: it is not supervised');
    }
    const platformDir = join(dataDir, 'platform');
    // Each service connects as its own role, which reaches only its own schema.
    const database = await provisionPlatformDatabase({
      adminUrl: await ensureDatabase(infra.endpoints.postgres.url, 'fedops'),
      dataDir: platformDir,
    });

    this.say('starting the OIDC issuer');
    const issuerDir = join(dataDir, 'oidc');
    const issuer = await startOidcIssuer({ dataDir: issuerDir, port: fixed ? LOCAL_PORTS.oidc : 0 });
    this.issuer = issuer;
    this.supervisor.add({
      name: 'oidc-issuer',
      logFile: issuer.logFile,
      restart: () => this.restartIssuer(),
    });
    this.supervisor.started('oidc-issuer', issuer);

    this.say(`starting ${SERVICE_NAMES.join(', ')}`);
    const platform = await Platform.start({
      repoRoot: this.repoRoot,
      dataDir: platformDir,
      infra: infra.endpoints,
      databaseUrls: database.urls,
      oidcIssuerUrl: issuer.issuerUrl,
      sandboxPrefix: this.config.sandboxPrefix,
      ...(this.config.sandboxSubnet === undefined ? {} : { sandboxSubnet: this.config.sandboxSubnet }),
      ...(fixed ? { ports: LOCAL_PORTS.services } : {}),
    });
    this.platform = platform;
    for (const name of SERVICE_NAMES) {
      this.supervisor.add({
        name,
        logFile: platform.logFile(name),
        restart: async () => (await platform.startService(name)).process,
      });
      this.supervisor.started(name, platform.service(name).process);
    }

    this.say('starting the simulated Proxmox VE, Hetzner Cloud and DigitalOcean');
    this.simulated = await startSimulatedProviders({
      dataDir,
      sandboxPrefix: this.config.sandboxPrefix,
      bootDelayMs: this.config.simulatorBootDelayMs,
      ...(this.config.sandboxSubnet === undefined ? {} : { subnet: this.config.sandboxSubnet }),
      ...(fixed ? { ports: LOCAL_PORTS.simulators } : {}),
    });
    const opsToken = await fetchToken(issuer.issuerUrl, issuer.clients.ops);
    for (const { name, outcome } of await registerSimulatedProviders(
      platform.apiUrl,
      opsToken,
      this.simulated,
    )) {
      this.say(`provider ${name}: ${outcome}`);
    }
  }

  /** The simulated providers, with their URLs and tokens. */
  get simulatedProviders(): readonly SimulatedProvider[] {
    return this.simulated;
  }

  get temporalAddress(): string | undefined {
    return this.infra?.endpoints.temporal.address;
  }

  /**
   * The S3 server the backups go to, and the file with its keys (`accessKeyId`, `secretAccessKey`;
   * native mode only: containers keep theirs in memory).
   */
  get s3(): { endpoint: S3Endpoint; secretsFile: string | undefined } | undefined {
    const infra = this.infra;
    if (infra === undefined) return undefined;
    const secretsFile =
      infra.mode === 'native' ? componentStateFile(join(this.config.dataDir, 'infra', 's3')) : undefined;
    return { endpoint: infra.endpoints.s3, secretsFile };
  }

  /** The main URL of each component that has one. */
  urls(): Record<string, string> {
    const urls: Record<string, string> = {};
    if (this.infra?.endpoints.temporal.uiUrl) urls['temporal-ui'] = this.infra.endpoints.temporal.uiUrl;
    if (this.infra) urls['s3'] = this.infra.endpoints.s3.endpoint;
    if (this.issuer) urls['oidc-issuer'] = this.issuer.issuerUrl;
    if (this.platform) for (const name of SERVICE_NAMES) urls[name] = this.platform.serviceUrl(name);
    return urls;
  }

  get apiUrl(): string {
    return this.required(this.platform, 'the services').apiUrl;
  }

  get temporalUiUrl(): string | undefined {
    return this.infra?.endpoints.temporal.uiUrl;
  }

  get issuerHandle(): OidcIssuerHandle {
    return this.required(this.issuer, 'the OIDC issuer');
  }

  /** Services first (workers drain), then the issuer, then the infrastructure. Supervision must be stopped before. */
  async stop(): Promise<void> {
    await this.platform?.stop();
    // Their sandbox machines stay (as a cloud's VMs would); a restarted simulator starts empty.
    await Promise.allSettled(this.simulated.map((s) => s.simulator.close()));
    await this.issuer?.stop();
    await this.infra?.stop();
  }

  private async restartInfra(name: InfraComponent): Promise<SupervisedProcess> {
    const infra = this.required(this.infra, 'the infrastructure');
    return supervisedProcess(name, await infra.restart(name));
  }

  private async restartIssuer(): Promise<SupervisedProcess> {
    const previous = this.required(this.issuer, 'the OIDC issuer');
    await previous.stop();
    // Same port (tokens name the issuer URL), same keys and client secrets (its data dir).
    this.issuer = await startOidcIssuer({ dataDir: previous.dataDir, port: previous.port });
    return this.issuer;
  }

  private required<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`${what} did not start`);
    return value;
  }
}

function supervisedProcess(name: string, running: RunningComponent<unknown> | undefined): SupervisedProcess {
  if (running?.exited === undefined) throw new Error(`${name} has no process to supervise`);
  return { pid: running.pid, exited: running.exited };
}
