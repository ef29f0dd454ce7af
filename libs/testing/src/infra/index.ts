import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

import {
  containerRuntimeAvailable,
  startNatsContainer,
  startPostgresContainer,
  startPowerDnsContainer,
  startS3Container,
  startTemporalContainer,
} from './containers';
import { chooseInfraMode, parseInfraMode, type InfraMode, type RequestedInfraMode } from './infra-mode';
import { startNats } from './nats';
import { startPostgres } from './postgres';
import { POSTGRES_BIN_DIR } from './postgres.config';
import { startPowerDns } from './powerdns';
import { type PortPicker } from './port-allocation';
import { findVersitygwBinary, startS3 } from './s3';
import { findTemporalBinary, startTemporal } from './temporal';
import {
  INFRA_COMPONENTS,
  type EndpointKeyOf,
  type InfraComponent,
  type InfraEndpoints,
  type RunningComponent,
} from './types';

export interface InfraPorts {
  readonly postgres: number;
  readonly nats: number;
  readonly natsMonitor: number;
  readonly temporal: number;
  readonly temporalUi: number;
  readonly powerdnsApi: number;
  readonly powerdnsDns: number;
  readonly s3: number;
}

export interface StartInfrastructureOptions<C extends InfraComponent = InfraComponent> {
  /** Root folder; each component gets `<dataDir>/<component>`. */
  readonly dataDir: string;
  /** Throw-away data and faster settings (tests); false = reuse data and ports (local platform). */
  readonly ephemeral: boolean;
  /** Default: all five. */
  readonly components?: readonly C[];
  /** Default: FEDOPS_INFRA, else auto. */
  readonly mode?: RequestedInfraMode;
  /** Fixed ports (native mode); missing = saved (persistent) or free. */
  readonly ports?: Partial<InfraPorts>;
  /** Temporal Web UI; default on when persistent, off when ephemeral. */
  readonly temporalUi?: boolean;
  readonly readyTimeoutMs?: number;
  /** Where ports chosen free come from (native mode); tests inject one handing out a held port. */
  readonly portPicker?: PortPicker;
}

export type EndpointsFor<C extends InfraComponent> = Pick<InfraEndpoints, EndpointKeyOf[C]>;

export interface Infrastructure<E = InfraEndpoints> {
  readonly mode: InfraMode;
  readonly endpoints: E;
  /** Pids of the native server processes, per component (empty for containers). */
  readonly pids: Partial<Record<InfraComponent, number>>;
  /** The running server of a component (native mode: pid, log file, ports, `exited`). */
  component(name: InfraComponent): RunningComponent<unknown> | undefined;
  /**
   * Starts a component again after its process died (native mode): same data, same ports (asked for
   * explicitly, so a port taken meanwhile fails instead of moving the endpoint), same secrets.
   */
  restart(name: InfraComponent): Promise<RunningComponent<unknown>>;
  /** Stops everything (in parallel); idempotent. */
  stop(): Promise<void>;
}

interface Started {
  postgres?: RunningComponent<InfraEndpoints['postgres']>;
  nats?: RunningComponent<InfraEndpoints['nats']>;
  temporal?: RunningComponent<InfraEndpoints['temporal']>;
  powerdns?: RunningComponent<InfraEndpoints['powerdns']>;
  s3?: RunningComponent<InfraEndpoints['s3']>;
}

/**
 * Starts PostgreSQL, NATS JetStream, Temporal, PowerDNS and an S3 server (versitygw) in parallel
 * and waits until each is really usable.
 */
export async function startInfrastructure<C extends InfraComponent = InfraComponent>(
  options: StartInfrastructureOptions<C>,
): Promise<Infrastructure<EndpointsFor<C>>> {
  const components: readonly InfraComponent[] = options.components ?? INFRA_COMPONENTS;
  const requested = options.mode ?? parseInfraMode(process.env['FEDOPS_INFRA']);
  const missing = requested === 'containers' ? [] : await missingNativeBinaries(components);
  const mode = await chooseInfraMode(requested, {
    missingNativeBinaries: missing,
    dockerAvailable: containerRuntimeAvailable,
  });
  if (mode === 'native' && missing.length > 0) {
    throw new Error(
      `Cannot start the infrastructure natively, missing: ${missing.join(', ')}. Run scripts/ensure-deps.sh.`,
    );
  }

  const started: Started = {};
  const starters: Record<InfraComponent, (pinned?: Readonly<Record<string, number>>) => Promise<void>> =
    mode === 'native' ? nativeStarters(options, started) : containerStarters(started);
  const results = await Promise.allSettled(components.map((component) => starters[component]()));
  const stop = once(() => stopAll(started));
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected' ? [`${components[index]}: ${messageOf(result.reason)}`] : [],
  );
  if (failures.length > 0) {
    await stop();
    throw new Error(`Infrastructure did not start (${mode}):\n${failures.join('\n')}`, {
      cause: results.find((result) => result.status === 'rejected')?.reason,
    });
  }

  const endpoints: Partial<InfraEndpoints> = {
    ...(started.postgres ? { postgres: started.postgres.endpoint } : {}),
    ...(started.nats ? { nats: started.nats.endpoint } : {}),
    ...(started.temporal ? { temporal: started.temporal.endpoint } : {}),
    ...(started.powerdns ? { powerdns: started.powerdns.endpoint } : {}),
    ...(started.s3 ? { s3: started.s3.endpoint } : {}),
  };
  const pids: Partial<Record<InfraComponent, number>> = {};
  for (const component of INFRA_COMPONENTS) {
    const pid = started[component]?.pid;
    if (pid !== undefined) pids[component] = pid;
  }
  const restart = async (name: InfraComponent): Promise<RunningComponent<unknown>> => {
    const previous = started[name];
    if (mode !== 'native' || previous?.ports === undefined)
      throw new Error(`${name} cannot be restarted (${mode} mode, or it was never started)`);
    await previous.stop(); // normally gone already; idempotent
    await starters[name](previous.ports);
    const now = started[name];
    if (now === undefined) throw new Error(`${name} did not start again`);
    if (now.pid !== undefined) pids[name] = now.pid;
    return now;
  };
  // The keys present are exactly those of the requested components.
  return {
    mode,
    endpoints: endpoints as EndpointsFor<C>,
    pids,
    component: (name) => started[name],
    restart,
    stop,
  };
}

function nativeStarters(
  options: StartInfrastructureOptions<InfraComponent>,
  started: Started,
): Record<InfraComponent, (pinned?: Readonly<Record<string, number>>) => Promise<void>> {
  const dir = (component: InfraComponent): string => join(options.dataDir, component);
  const common = {
    ephemeral: options.ephemeral,
    ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
    ...(options.portPicker === undefined ? {} : { portPicker: options.portPicker }),
  };
  const ports = options.ports ?? {};
  return {
    postgres: async (pinned) => {
      started.postgres = await startPostgres({
        ...common,
        dataDir: dir('postgres'),
        port: pinned?.['postgres'] ?? ports.postgres,
      });
    },
    nats: async (pinned) => {
      started.nats = await startNats({
        ...common,
        dataDir: dir('nats'),
        port: pinned?.['nats'] ?? ports.nats,
        monitorPort: pinned?.['monitor'] ?? ports.natsMonitor,
      });
    },
    temporal: async (pinned) => {
      started.temporal = await startTemporal({
        ...common,
        dataDir: dir('temporal'),
        port: pinned?.['grpc'] ?? ports.temporal,
        uiPort: pinned?.['ui'] ?? ports.temporalUi,
        ...(pinned?.['http'] === undefined ? {} : { httpPort: pinned['http'] }),
        ...(pinned?.['metrics'] === undefined ? {} : { metricsPort: pinned['metrics'] }),
        headless: !(options.temporalUi ?? !options.ephemeral),
      });
    },
    powerdns: async (pinned) => {
      started.powerdns = await startPowerDns({
        ...common,
        dataDir: dir('powerdns'),
        port: pinned?.['api'] ?? ports.powerdnsApi,
        dnsPort: pinned?.['dns'] ?? ports.powerdnsDns,
      });
    },
    s3: async (pinned) => {
      started.s3 = await startS3({ ...common, dataDir: dir('s3'), port: pinned?.['s3'] ?? ports.s3 });
    },
  };
}

function containerStarters(started: Started): Record<InfraComponent, () => Promise<void>> {
  return {
    postgres: async () => {
      started.postgres = await startPostgresContainer();
    },
    nats: async () => {
      started.nats = await startNatsContainer();
    },
    temporal: async () => {
      started.temporal = await startTemporalContainer();
    },
    powerdns: async () => {
      started.powerdns = await startPowerDnsContainer();
    },
    s3: async () => {
      started.s3 = await startS3Container();
    },
  };
}

async function stopAll(started: Started): Promise<void> {
  const running = INFRA_COMPONENTS.flatMap((component) => {
    const one = started[component];
    return one ? [{ component, one }] : [];
  });
  const results = await Promise.allSettled(running.map(({ one }) => one.stop()));
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected' ? [`${running[index]?.component}: ${messageOf(result.reason)}`] : [],
  );
  if (failures.length > 0)
    throw new Error(`Could not stop the infrastructure cleanly:\n${failures.join('\n')}`);
}

/** Names of the native binaries that the given components need and that are not installed. */
export async function missingNativeBinaries(components: readonly InfraComponent[]): Promise<string[]> {
  const checks: Record<InfraComponent, () => Promise<string | undefined>> = {
    postgres: () => missingFile(join(POSTGRES_BIN_DIR, 'postgres')),
    nats: async () => ((await onPath('nats-server')) ? undefined : 'nats-server'),
    temporal: () =>
      findTemporalBinary().then(
        () => undefined,
        () => 'temporal (Temporal CLI)',
      ),
    powerdns: () => missingFile('/usr/sbin/pdns_server'),
    s3: () =>
      findVersitygwBinary().then(
        () => undefined,
        () => 'versitygw (S3 server)',
      ),
  };
  const answers = await Promise.all(components.map((component) => checks[component]()));
  return answers.filter((answer): answer is string => answer !== undefined);
}

async function missingFile(file: string): Promise<string | undefined> {
  try {
    await access(file, constants.X_OK);
    return undefined;
  } catch {
    return file;
  }
}

async function onPath(command: string): Promise<boolean> {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) if ((await missingFile(join(dir, command))) === undefined) return true;
  return false;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let promise: Promise<void> | undefined;
  return () => (promise ??= fn());
}

function messageOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

export * from './types';
export { componentStateFile } from './component-state';
export { freePort, freePorts, isPortFree } from './free-port';
export {
  PortInUseError,
  RequestedPortInUseError,
  findBindFailure,
  holderFromSs,
  planPortRetry,
  portHolder,
  portInUseIn,
  startOnPorts,
  type PortPicker,
  type StartOnPortsOptions,
} from './port-allocation';
export {
  buildSpawnCommand,
  logTail,
  outputSinceStart,
  ProcessExitedError,
  spawnManaged,
  waitUntilReady,
  type ManagedProcess,
} from './managed-process';
export { chooseInfraMode, parseInfraMode, type InfraMode, type RequestedInfraMode } from './infra-mode';
export { startPostgres, postgresSelectOne, type PostgresOptions } from './postgres';
export { initdbArgs, postgresServerArgs, postgresUrl, assertIdentifier } from './postgres.config';
export { startNats, natsJetStreamReady, type NatsOptions } from './nats';
export {
  COMPOSE_NATS_CONFIG_COMMAND,
  COMPOSE_NATS_CONFIG_FILE,
  EVENT_PUBLISHERS,
  NATS_ADMIN_USER,
  NATS_SERVICE_USERS,
  RPC_SUBJECTS,
  natsInboxPrefix,
  natsPasswordVariable,
  natsServerArgs,
  natsUsers,
  renderComposeNatsAuthConfig,
  renderNatsAuthConfig,
  servicePermissions,
  type NatsPassword,
  type NatsPermissions,
  type NatsServiceUser,
  type NatsUserEntry,
} from './nats.config';
export {
  ensureNatsCredentials,
  generateNatsCredentials,
  renderHarnessNatsAuthConfig,
  type NatsUsersCredentials,
} from './nats-credentials';
export { startTemporal, describeNamespace, findTemporalBinary, type TemporalOptions } from './temporal';
export { temporalDevServerArgs, temporalBinaryCandidates } from './temporal.config';
export { startPowerDns, pdnsServerInfo, type PowerDnsOptions } from './powerdns';
export { renderPdnsConfig, pdnsConfigEntries, PDNS_SQLITE_SCHEMA } from './powerdns.config';
export { findVersitygwBinary, s3Ready, startS3, type S3Options } from './s3';
export {
  S3_BUCKET,
  S3_REGION,
  VERSITYGW_HEALTH_PATH,
  VERSITYGW_VERSION,
  newS3Credentials,
  versitygwArgs,
  versitygwBinaryCandidates,
} from './s3.config';
export { CONTAINER_IMAGES, containerRuntimeAvailable } from './containers';
export { ensureDatabase } from './database';
export {
  SERVICE_ROLE_PREFIX,
  applyServiceRoles,
  dropServiceRoles,
  psqlPasswordVariable,
  serviceRoles,
  serviceRolesPsqlScript,
  serviceRolesSql,
  serviceSchema,
  type ServiceRole,
  type ServiceRolesPlan,
  type SqlStatement,
} from './service-roles';
