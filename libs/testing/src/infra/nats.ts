import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { connect } from 'nats';

import { portsState, readState, writeState } from './component-state';
import { nativeComponent, spawnUntilReady } from './managed-process';
import { ensureNatsCredentials, renderHarnessNatsAuthConfig } from './nats-credentials';
import { natsServerArgs } from './nats.config';
import { startOnPorts } from './port-allocation';
import type { ComponentOptions, NatsCredentials, NatsEndpoint, RunningComponent } from './types';

export interface NatsOptions extends ComponentOptions {
  readonly monitorPort?: number;
  /** Default `nats-server` from PATH. */
  readonly binary?: string;
}

/**
 * Starts nats-server with JetStream (store in `<dataDir>/jetstream`, log in `<dataDir>/nats.log`)
 * and authentication: the users and permissions of nats.config.ts, with the passwords of
 * `<dataDir>/credentials.json` (generated once), in `<dataDir>/auth.conf` (both mode 0600).
 * Ready = the admin connects and JetStream answers account info.
 */
export async function startNats(options: NatsOptions): Promise<RunningComponent<NatsEndpoint>> {
  const dataDir = resolve(options.dataDir);
  const storeDir = join(dataDir, 'jetstream');
  const logFile = join(dataDir, 'nats.log');
  const configFile = join(dataDir, 'auth.conf');
  await mkdir(storeDir, { recursive: true });
  const { admin, services } = await ensureNatsCredentials(dataDir);
  // Regenerated on every start, so a changed permission table takes effect on the next one.
  await writeFile(configFile, renderHarnessNatsAuthConfig({ admin, services }), { mode: 0o600 });
  await chmod(configFile, 0o600); // writeFile's mode applies only to a new file

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
        admin,
        services,
      };
      const proc = await spawnUntilReady(
        {
          name: 'nats-server',
          command: options.binary ?? 'nats-server',
          args: natsServerArgs({ port: chosen.nats, monitorPort: chosen.monitor, storeDir, configFile }),
          logFile,
        },
        () => natsJetStreamReady(endpoint.url, admin),
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

/** Connects as `credentials` and asks JetStream for account info; resolves to true when JetStream answers. */
export async function natsJetStreamReady(url: string, credentials: NatsCredentials): Promise<boolean> {
  const nc = await connect({
    servers: url,
    user: credentials.user,
    pass: credentials.password,
    timeout: 2_000,
    reconnect: false,
  });
  try {
    const jsm = await nc.jetstreamManager({ timeout: 2_000 });
    await jsm.getAccountInfo();
    return true;
  } finally {
    await nc.close();
  }
}
