import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { connect } from 'nats';

import { choosePorts, portsState, readState, writeState } from './component-state';
import { spawnManaged, waitUntilReady } from './managed-process';
import { natsServerArgs } from './nats.config';
import type { ComponentOptions, NatsEndpoint, RunningComponent } from './types';

export interface NatsOptions extends ComponentOptions {
  readonly monitorPort?: number;
  /** Default `nats-server` from PATH. */
  readonly binary?: string;
}

/**
 * Starts nats-server with JetStream (store in `<dataDir>/jetstream`, log in `<dataDir>/nats.log`).
 * Ready = a client connects and JetStream answers account info.
 */
export async function startNats(options: NatsOptions): Promise<RunningComponent<NatsEndpoint>> {
  const dataDir = resolve(options.dataDir);
  const storeDir = join(dataDir, 'jetstream');
  const logFile = join(dataDir, 'nats.log');
  await mkdir(storeDir, { recursive: true });

  const saved = options.ephemeral ? {} : await readState(dataDir);
  const ports = await choosePorts(
    ['nats', 'monitor'],
    { nats: options.port, monitor: options.monitorPort },
    saved,
    !options.ephemeral,
  );
  const proc = await spawnManaged({
    name: 'nats-server',
    command: options.binary ?? 'nats-server',
    args: natsServerArgs({ port: ports.nats, monitorPort: ports.monitor, storeDir }),
    logFile,
  });
  const endpoint: NatsEndpoint = {
    url: `nats://127.0.0.1:${ports.nats}`,
    monitorUrl: `http://127.0.0.1:${ports.monitor}`,
  };
  try {
    await waitUntilReady(proc, () => natsJetStreamReady(endpoint.url), {
      description: `NATS JetStream on ${endpoint.url}`,
      timeoutMs: options.readyTimeoutMs ?? 60_000,
    });
  } catch (error: unknown) {
    await proc.stop();
    throw error;
  }
  if (!options.ephemeral) await writeState(dataDir, portsState(ports));
  return { endpoint, pid: proc.pid, logFile, stop: () => proc.stop() };
}

/** Connects and asks JetStream for account info; resolves to true when JetStream answers. */
export async function natsJetStreamReady(url: string): Promise<boolean> {
  const nc = await connect({ servers: url, timeout: 2_000, reconnect: false });
  try {
    const jsm = await nc.jetstreamManager({ timeout: 2_000 });
    await jsm.getAccountInfo();
    return true;
  } finally {
    await nc.close();
  }
}
