import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { connect } from 'nats';

import { portsState, readState, writeState } from './component-state';
import { nativeComponent, spawnUntilReady } from './managed-process';
import { natsServerArgs } from './nats.config';
import { startOnPorts } from './port-allocation';
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
  const { value: started, ports } = await startOnPorts({
    component: 'nats',
    names: ['nats', 'monitor'],
    requested: { nats: options.port, monitor: options.monitorPort },
    saved,
    reuseSaved: !options.ephemeral,
    ...(options.portPicker ? { pickPorts: options.portPicker } : {}),
    start: async (chosen) => {
      const endpoint: NatsEndpoint = {
        url: `nats://127.0.0.1:${chosen.nats}`,
        monitorUrl: `http://127.0.0.1:${chosen.monitor}`,
      };
      const proc = await spawnUntilReady(
        {
          name: 'nats-server',
          command: options.binary ?? 'nats-server',
          args: natsServerArgs({ port: chosen.nats, monitorPort: chosen.monitor, storeDir }),
          logFile,
        },
        () => natsJetStreamReady(endpoint.url),
        {
          description: `NATS JetStream on ${endpoint.url}`,
          timeoutMs: options.readyTimeoutMs ?? 60_000,
          ports: [chosen.nats, chosen.monitor],
        },
      );
      return { proc, endpoint };
    },
  });
  const { proc, endpoint } = started;
  if (!options.ephemeral) await writeState(dataDir, portsState(ports));
  return nativeComponent(proc, endpoint, ports);
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
