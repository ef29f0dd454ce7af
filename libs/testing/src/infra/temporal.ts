import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { Connection } from '@temporalio/client';

import { portsState, readState, writeState } from './component-state';
import { firstExecutable, goEnvGoPath } from './go-binary';
import { nativeComponent, spawnUntilReady } from './managed-process';
import { startOnPorts } from './port-allocation';
import { temporalBinaryCandidates, temporalDevServerArgs } from './temporal.config';
import type { ComponentOptions, RunningComponent, TemporalEndpoint } from './types';

export interface TemporalOptions extends ComponentOptions {
  /** Web UI port (ignored when headless). */
  readonly uiPort?: number;
  /** HTTP API and metrics ports; default saved (persistent) or free. */
  readonly httpPort?: number;
  readonly metricsPort?: number;
  /** No Web UI. Default: true when ephemeral. */
  readonly headless?: boolean;
  /** Extra namespaces to create; `default` always exists. */
  readonly namespaces?: readonly string[];
  /** Binary; default from FEDOPS_TEMPORAL_BIN, `$(go env GOPATH)/bin/temporal`, /root/go/bin/temporal. */
  readonly binary?: string;
}

/**
 * Starts the Temporal CLI dev server (SQLite in `<dataDir>/temporal.db` when persistent, in memory
 * when ephemeral; log in `<dataDir>/temporal.log`). Ready = the `default` namespace can be described.
 */
export async function startTemporal(options: TemporalOptions): Promise<RunningComponent<TemporalEndpoint>> {
  const dataDir = resolve(options.dataDir);
  const logFile = join(dataDir, 'temporal.log');
  await mkdir(dataDir, { recursive: true });
  const headless = options.headless ?? options.ephemeral;
  const binary = options.binary ?? (await findTemporalBinary());

  const saved = options.ephemeral ? {} : await readState(dataDir);
  const { value: started, ports } = await startOnPorts({
    component: 'temporal',
    // Headless: no UI port at all (a free one would be chosen and saved for nothing).
    names: headless ? ['grpc', 'http', 'metrics'] : ['grpc', 'ui', 'http', 'metrics'],
    requested: {
      grpc: options.port,
      ui: options.uiPort,
      http: options.httpPort,
      metrics: options.metricsPort,
    },
    saved,
    reuseSaved: !options.ephemeral,
    ...(options.portPicker ? { pickPorts: options.portPicker } : {}),
    start: async (chosen: Partial<Record<'grpc' | 'ui' | 'http' | 'metrics', number>>) => {
      const { grpc = 0, ui, http = 0, metrics = 0 } = chosen;
      const endpoint: TemporalEndpoint = {
        address: `127.0.0.1:${grpc}`,
        namespace: 'default',
        ...(ui === undefined ? {} : { uiUrl: `http://127.0.0.1:${ui}` }),
      };
      const proc = await spawnUntilReady(
        {
          name: 'temporal',
          command: binary,
          args: temporalDevServerArgs({
            port: grpc,
            httpPort: http,
            metricsPort: metrics,
            ...(ui === undefined ? {} : { uiPort: ui }),
            ...(options.ephemeral ? {} : { dbFile: join(dataDir, 'temporal.db') }),
            ...(options.namespaces ? { namespaces: options.namespaces } : {}),
          }),
          logFile,
          cwd: dataDir,
        },
        () => describeNamespace(endpoint.address, 'default'),
        {
          description: `Temporal namespace "default" on ${endpoint.address}`,
          timeoutMs: options.readyTimeoutMs ?? 60_000,
          intervalMs: 200,
          ports: Object.values(chosen),
        },
      );
      return { proc, endpoint };
    },
  });
  const { proc, endpoint } = started;
  if (!options.ephemeral) await writeState(dataDir, portsState(ports));
  return nativeComponent(proc, endpoint, ports);
}

/** Connects, describes the namespace, disconnects. Resolves to true when the namespace exists. */
export async function describeNamespace(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: '2s' });
  try {
    const answer = await connection.workflowService.describeNamespace({ namespace });
    return answer.namespaceInfo?.name === namespace;
  } finally {
    await connection.close();
  }
}

export async function findTemporalBinary(): Promise<string> {
  const candidates = temporalBinaryCandidates(process.env, await goEnvGoPath());
  const found = await firstExecutable(candidates);
  if (found !== undefined) return found;
  throw new Error(
    `Temporal CLI not found (looked at ${candidates.join(', ')}). Run scripts/ensure-deps.sh or set FEDOPS_TEMPORAL_BIN.`,
  );
}
