/**
 * docker-compose's NATS without Docker: a real nats-server loads the committed
 * deploy/nats/fedops-auth.conf with the environment compose gives the nats container, once from
 * deploy/.env.example and once from the .env deploy/init-secrets.sh writes. Each service then
 * connects with the user and password compose gives it; the monitoring port (the healthcheck)
 * answers without credentials.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ErrorCode, connect, type NatsConnection } from 'nats';

import { FLEET_MACHINES_LIST_SUBJECT } from '@fedops/contracts';
import { ensureEventsStream, natsConnectionOptions } from '@fedops/service-kit';
import {
  COMPOSE_NATS_CONFIG_FILE,
  NATS_ADMIN_USER,
  freePorts,
  natsPasswordVariable,
  spawnManaged,
  waitUntilReady,
  type ManagedProcess,
} from '@fedops/testing';
import { interpolate, parseCompose, parseEnvFile, serviceEnvironment, type Env } from './compose-model';
import { FEDOPS_SERVICES } from './service-config-specs';

const run = promisify(execFile);
const repoRoot = join(__dirname, '..', '..');
const compose = parseCompose(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'));

function environmentOf(name: string, env: Env): Env {
  const s = compose.services.get(name);
  if (s === undefined) throw new Error(`docker-compose.yml declares no service ${name}`);
  const resolved: Env = {};
  for (const [key, value] of Object.entries(serviceEnvironment(s)))
    resolved[key] = interpolate(value, env, `services.${name}.environment.${key}`);
  return resolved;
}

interface ComposeNats {
  readonly url: string;
  readonly monitorUrl: string;
  stop(): Promise<void>;
}

/** nats-server with the committed config and the nats container's environment, on free local ports. */
async function startComposeNats(dir: string, env: Env): Promise<ComposeNats> {
  const [port, monitorPort] = (await freePorts(2)) as [number, number];
  const url = `nats://127.0.0.1:${port}`;
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  const proc: ManagedProcess = await spawnManaged({
    name: 'nats-server',
    command: 'nats-server',
    args: [
      '-c',
      join(repoRoot, COMPOSE_NATS_CONFIG_FILE),
      '-js',
      '-sd',
      join(dir, 'jetstream'),
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-m',
      String(monitorPort),
    ],
    logFile: join(dir, 'nats.log'),
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...environmentOf('nats', env) },
  });
  try {
    // What the compose healthcheck asks, without credentials.
    await waitUntilReady(
      proc,
      async () =>
        (await fetch(`${monitorUrl}/healthz?js-enabled-only=true`).catch(() => undefined))?.status === 200,
      { description: 'nats-server with the compose config', timeoutMs: 30_000, ports: [port, monitorPort] },
    );
  } catch (error: unknown) {
    await proc.stop();
    throw error;
  }
  return { url, monitorUrl, stop: () => proc.stop() };
}

/** Connects as compose connects a service: its FEDOPS_NATS_USER and FEDOPS_NATS_PASSWORD. */
async function connectAsService(nats: ComposeNats, name: string, env: Env): Promise<NatsConnection> {
  const own = environmentOf(name, env);
  return connect({
    ...natsConnectionOptions(
      {
        natsUrl: nats.url,
        natsUser: own['FEDOPS_NATS_USER'] ?? '',
        natsPassword: own['FEDOPS_NATS_PASSWORD'] ?? '',
      },
      name,
    ),
    reconnect: false,
  });
}

describe.each([
  [
    'deploy/.env.example',
    async (): Promise<Env> => parseEnvFile(await readFile(join(repoRoot, 'deploy', '.env.example'), 'utf8')),
  ],
  [
    'the .env of deploy/init-secrets.sh',
    async (dir: string): Promise<Env> => {
      // A copy of what the script reads; it writes .env (and an SSH key pair) next to it.
      const checkout = join(dir, 'checkout');
      await mkdir(join(checkout, 'deploy'), { recursive: true });
      for (const file of ['init-secrets.sh', '.env.example'])
        await copyFile(join(repoRoot, 'deploy', file), join(checkout, 'deploy', file));
      await run('bash', [join(checkout, 'deploy', 'init-secrets.sh')]);
      return parseEnvFile(await readFile(join(checkout, '.env'), 'utf8'));
    },
  ],
])('%s with deploy/nats/fedops-auth.conf', (_source, makeEnv) => {
  let dir: string;
  let env: Env;
  let nats: ComposeNats | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-compose-nats-'));
    env = await makeEnv(dir);
    nats = await startComposeNats(dir, env);
  });

  afterAll(async () => {
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const server = (): ComposeNats => {
    if (nats === undefined) throw new Error('nats-server did not start');
    return nats;
  };

  it.each(FEDOPS_SERVICES)('lets %s connect with its password and use the events stream', async (name) => {
    const nc = await connectAsService(server(), name, env);
    try {
      await ensureEventsStream(nc);
    } finally {
      await nc.close();
    }
  });

  it('refuses anonymous clients, admits the admin and keeps the deployer from the provisioner’s requests', async () => {
    await expect(connect({ servers: server().url, reconnect: false })).rejects.toMatchObject({
      code: ErrorCode.AuthorizationViolation,
    });
    const password = env[natsPasswordVariable(NATS_ADMIN_USER)];
    const admin = await connect({
      servers: server().url,
      user: NATS_ADMIN_USER,
      pass: password,
      reconnect: false,
    });
    await admin.close();
    const deployer = await connectAsService(server(), 'deployer', env);
    try {
      const sub = deployer.subscribe(FLEET_MACHINES_LIST_SUBJECT, { queue: 'provisioner', timeout: 5_000 });
      const refused = (async () => {
        for await (const message of sub) return `subscribed: a message arrived on ${message.subject}`;
        return 'the subscription ended';
      })();
      await expect(refused).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
    } finally {
      await deployer.close();
    }
  });
});
