import { randomBytes } from 'node:crypto';

import { waitFor } from '../wait-for';
import { natsJetStreamReady } from './nats';
import { generateNatsCredentials, renderHarnessNatsAuthConfig } from './nats-credentials';
import { postgresSelectOne } from './postgres';
import { postgresUrl } from './postgres.config';
import { describeNamespace } from './temporal';
import { pdnsServerInfo } from './powerdns';
import { s3Ready } from './s3';
import { S3_BUCKET, S3_REGION, newS3Credentials } from './s3.config';
import type {
  InfraComponent,
  NatsEndpoint,
  PostgresEndpoint,
  PowerDnsEndpoint,
  RunningComponent,
  S3Endpoint,
  TemporalEndpoint,
} from './types';

/**
 * The same five components as Docker containers via testcontainers, for machines with a Docker
 * engine and without the native binaries. testcontainers is loaded lazily so the native path never
 * needs it. NOT exercised on the development machine (no Docker engine there): keep it small.
 */
export const CONTAINER_IMAGES = {
  postgres: 'postgres:15',
  nats: 'nats:2.10',
  temporal: 'temporalio/temporal:1.5.1',
  powerdns: 'powerdns/pdns-auth-48',
  s3: 'versity/versitygw:v1.8.0',
} as const satisfies Record<InfraComponent, string>;

const READY_TIMEOUT_MS = 120_000;

/** True when a Docker (or compatible) engine answers. */
export async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function startPostgresContainer(): Promise<RunningComponent<PostgresEndpoint>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const password = randomBytes(18).toString('base64url');
  const container = await new GenericContainer(CONTAINER_IMAGES.postgres)
    .withEnvironment({ POSTGRES_USER: 'fedops', POSTGRES_PASSWORD: password, POSTGRES_DB: 'fedops' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=200'])
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const host = container.getHost();
  const port = container.getMappedPort(5432);
  const base = { host, port, user: 'fedops', password, database: 'fedops' };
  const endpoint: PostgresEndpoint = { ...base, url: postgresUrl(base) };
  const stop = async (): Promise<void> => void (await container.stop());
  await readyOrStop(() => postgresSelectOne(endpoint.url), 'postgres container', stop);
  return { endpoint, stop };
}

/** With the same users and permissions as the native server (fresh passwords, kept in memory). */
export async function startNatsContainer(): Promise<RunningComponent<NatsEndpoint>> {
  const { GenericContainer } = await import('testcontainers');
  const credentials = generateNatsCredentials();
  const configFile = '/etc/nats/fedops-auth.conf';
  const container = await new GenericContainer(CONTAINER_IMAGES.nats)
    .withCopyContentToContainer([
      { content: renderHarnessNatsAuthConfig(credentials), target: configFile, mode: 0o600 },
    ])
    .withCommand(['-c', configFile, '-js'])
    .withExposedPorts(4222)
    .start();
  const endpoint: NatsEndpoint = {
    url: `nats://${container.getHost()}:${container.getMappedPort(4222)}`,
    ...credentials,
  };
  const stop = async (): Promise<void> => void (await container.stop());
  await readyOrStop(() => natsJetStreamReady(endpoint.url, credentials.admin), 'nats container', stop);
  return { endpoint, stop };
}

export async function startTemporalContainer(): Promise<RunningComponent<TemporalEndpoint>> {
  const { GenericContainer } = await import('testcontainers');
  const container = await new GenericContainer(CONTAINER_IMAGES.temporal)
    .withCommand(['server', 'start-dev', '--ip', '0.0.0.0'])
    .withExposedPorts(7233, 8233)
    .start();
  const host = container.getHost();
  const endpoint: TemporalEndpoint = {
    address: `${host}:${container.getMappedPort(7233)}`,
    namespace: 'default',
    uiUrl: `http://${host}:${container.getMappedPort(8233)}`,
  };
  const stop = async (): Promise<void> => void (await container.stop());
  await readyOrStop(() => describeNamespace(endpoint.address, 'default'), 'temporal container', stop);
  return { endpoint, stop };
}

export async function startPowerDnsContainer(): Promise<RunningComponent<PowerDnsEndpoint>> {
  const { GenericContainer } = await import('testcontainers');
  const apiKey = randomBytes(24).toString('hex');
  const container = await new GenericContainer(CONTAINER_IMAGES.powerdns)
    .withEnvironment({ PDNS_AUTH_API_KEY: apiKey })
    .withExposedPorts(8081, '53/udp')
    .start();
  const endpoint: PowerDnsEndpoint = {
    apiUrl: `http://${container.getHost()}:${container.getMappedPort(8081)}`,
    apiKey,
    dnsPort: container.getMappedPort('53/udp'),
    serverId: 'localhost',
  };
  const stop = async (): Promise<void> => void (await container.stop());
  await readyOrStop(() => pdnsServerInfo(endpoint), 'powerdns container', stop);
  return { endpoint, stop };
}

export async function startS3Container(): Promise<RunningComponent<S3Endpoint>> {
  const { GenericContainer } = await import('testcontainers');
  const credentials = newS3Credentials();
  const container = await new GenericContainer(CONTAINER_IMAGES.s3)
    .withEnvironment({
      ROOT_ACCESS_KEY_ID: credentials.accessKeyId,
      ROOT_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    })
    // /tmp/vgw exists in the image; the data goes with the container.
    .withCommand(['--port', ':7070', '--region', S3_REGION, '--quiet', 'posix', '/tmp/vgw'])
    .withExposedPorts(7070)
    .start();
  const endpoint: S3Endpoint = {
    endpoint: `http://${container.getHost()}:${container.getMappedPort(7070)}`,
    region: S3_REGION,
    ...credentials,
    bucket: S3_BUCKET,
  };
  const stop = async (): Promise<void> => void (await container.stop());
  await readyOrStop(() => s3Ready(endpoint), 's3 container', stop);
  return { endpoint, stop };
}

async function readyOrStop(
  probe: () => Promise<boolean>,
  description: string,
  stop: () => Promise<void>,
): Promise<void> {
  try {
    await waitFor(probe, { description, timeoutMs: READY_TIMEOUT_MS, intervalMs: 250 });
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}
