import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { portsState, readState, writeState } from './component-state';
import { nativeComponent, spawnUntilReady } from './managed-process';
import { startOnPorts } from './port-allocation';
import { PDNS_SQLITE_SCHEMA, renderPdnsConfig } from './powerdns.config';
import type { ComponentOptions, PowerDnsEndpoint, RunningComponent } from './types';

const execFileAsync = promisify(execFile);

export interface PowerDnsOptions extends ComponentOptions {
  /** DNS (UDP+TCP) port; `port` is the HTTP API port. */
  readonly dnsPort?: number;
  /** Default: the saved key (persistent) or a random one. */
  readonly apiKey?: string;
  readonly binary?: string;
  readonly schemaFile?: string;
}

/**
 * Starts pdns_server with its own config dir (`<dataDir>/pdns.conf`), SQLite database
 * (`<dataDir>/pdns.sqlite3`, created from the Debian schema when missing) and log
 * (`<dataDir>/pdns.log`). Ready = `GET /api/v1/servers/localhost` answers 200 with the key.
 */
export async function startPowerDns(options: PowerDnsOptions): Promise<RunningComponent<PowerDnsEndpoint>> {
  const dataDir = resolve(options.dataDir);
  const socketDir = join(dataDir, 'run');
  const databaseFile = join(dataDir, 'pdns.sqlite3');
  const logFile = join(dataDir, 'pdns.log');
  await mkdir(socketDir, { recursive: true });

  const saved = options.ephemeral ? {} : await readState(dataDir);
  const apiKey =
    options.apiKey ??
    (typeof saved['apiKey'] === 'string' ? saved['apiKey'] : randomBytes(24).toString('hex'));

  if (!(await exists(databaseFile)))
    await createDatabase(databaseFile, options.schemaFile ?? PDNS_SQLITE_SCHEMA);

  const { value: started, ports } = await startOnPorts({
    component: 'powerdns',
    names: ['api', 'dns'],
    requested: { api: options.port, dns: options.dnsPort },
    saved,
    reuseSaved: !options.ephemeral,
    ...(options.portPicker ? { pickPorts: options.portPicker } : {}),
    start: async (chosen) => {
      await writeFile(
        join(dataDir, 'pdns.conf'),
        renderPdnsConfig({ databaseFile, apiKey, webserverPort: chosen.api, dnsPort: chosen.dns, socketDir }),
        { mode: 0o600 },
      );
      const endpoint: PowerDnsEndpoint = {
        apiUrl: `http://127.0.0.1:${chosen.api}`,
        apiKey,
        dnsPort: chosen.dns,
        serverId: 'localhost',
      };
      // A webserver that cannot bind only logs it (the DNS listener exits): the log is watched.
      const proc = await spawnUntilReady(
        {
          name: 'pdns_server',
          command: options.binary ?? '/usr/sbin/pdns_server',
          args: [`--config-dir=${dataDir}`],
          logFile,
        },
        () => pdnsServerInfo(endpoint),
        {
          description: `PowerDNS API on ${endpoint.apiUrl}`,
          timeoutMs: options.readyTimeoutMs ?? 60_000,
          ports: [chosen.api, chosen.dns],
        },
      );
      return { proc, endpoint };
    },
  });
  const { proc, endpoint } = started;
  if (!options.ephemeral) await writeState(dataDir, { ...portsState(ports), apiKey });
  return nativeComponent(proc, endpoint, ports);
}

/** GET /api/v1/servers/localhost; resolves to true on 200, throws with the status otherwise. */
export async function pdnsServerInfo(
  endpoint: Pick<PowerDnsEndpoint, 'apiUrl' | 'apiKey'>,
): Promise<boolean> {
  const response = await fetch(`${endpoint.apiUrl}/api/v1/servers/localhost`, {
    headers: { 'X-API-Key': endpoint.apiKey, Accept: 'application/json' },
    signal: AbortSignal.timeout(2_000),
  });
  if (response.status !== 200) throw new Error(`PowerDNS API answered ${response.status}`);
  const body: unknown = await response.json();
  if (typeof body !== 'object' || body === null || (body as { id?: unknown }).id !== 'localhost') {
    throw new Error('PowerDNS API answered an unexpected body');
  }
  return true;
}

async function createDatabase(databaseFile: string, schemaFile: string): Promise<void> {
  const partial = `${databaseFile}.partial`;
  try {
    await rm(partial, { force: true });
    await execFileAsync('sqlite3', [partial, `.read ${schemaFile}`]);
    await rename(partial, databaseFile);
  } catch (error: unknown) {
    throw new Error(
      `Could not create the PowerDNS database ${databaseFile} from ${schemaFile} (needs sqlite3 and pdns-backend-sqlite3)`,
      { cause: error },
    );
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
