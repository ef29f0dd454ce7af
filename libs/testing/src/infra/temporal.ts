import { execFile } from 'node:child_process';
import { access, constants, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { Connection } from '@temporalio/client';

import { choosePorts, portsState, readState, writeState } from './component-state';
import { spawnManaged, waitUntilReady } from './managed-process';
import { temporalBinaryCandidates, temporalDevServerArgs } from './temporal.config';
import type { ComponentOptions, RunningComponent, TemporalEndpoint } from './types';

const execFileAsync = promisify(execFile);

export interface TemporalOptions extends ComponentOptions {
  /** Web UI port (ignored when headless). */
  readonly uiPort?: number;
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
  const ports = await choosePorts(
    ['grpc', 'ui', 'http', 'metrics'],
    { grpc: options.port, ui: options.uiPort },
    saved,
    !options.ephemeral,
  );
  const proc = await spawnManaged({
    name: 'temporal',
    command: binary,
    args: temporalDevServerArgs({
      port: ports.grpc,
      httpPort: ports.http,
      metricsPort: ports.metrics,
      ...(headless ? {} : { uiPort: ports.ui }),
      ...(options.ephemeral ? {} : { dbFile: join(dataDir, 'temporal.db') }),
      ...(options.namespaces ? { namespaces: options.namespaces } : {}),
    }),
    logFile,
    cwd: dataDir,
  });
  const endpoint: TemporalEndpoint = {
    address: `127.0.0.1:${ports.grpc}`,
    namespace: 'default',
    ...(headless ? {} : { uiUrl: `http://127.0.0.1:${ports.ui}` }),
  };
  try {
    await waitUntilReady(proc, () => describeNamespace(endpoint.address, 'default'), {
      description: `Temporal namespace "default" on ${endpoint.address}`,
      timeoutMs: options.readyTimeoutMs ?? 60_000,
      intervalMs: 200,
    });
  } catch (error: unknown) {
    await proc.stop();
    throw error;
  }
  if (!options.ephemeral) await writeState(dataDir, portsState(ports));
  return { endpoint, pid: proc.pid, logFile, stop: () => proc.stop() };
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
  const goPath = await goEnvGoPath();
  const candidates = temporalBinaryCandidates(process.env, goPath);
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `Temporal CLI not found (looked at ${candidates.join(', ')}). Run scripts/ensure-deps.sh or set FEDOPS_TEMPORAL_BIN.`,
  );
}

async function goEnvGoPath(): Promise<string | undefined> {
  for (const go of ['go', '/usr/local/go/bin/go']) {
    try {
      const { stdout } = await execFileAsync(go, ['env', 'GOPATH'], { timeout: 10_000 });
      const value = stdout.trim();
      if (value) return value;
    } catch {
      // no go here
    }
  }
  return undefined;
}
