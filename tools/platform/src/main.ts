import { join } from 'node:path';
import { logTail, repoRoot, SEEDED_CLIENT_IDS, startOnPorts } from '@fedops/testing';
import { buildEndpointsFile, endpointsFilePath, writeEndpointsFile } from './endpoints-file';
import { readLauncherConfig, type LauncherConfig } from './launcher-config';
import { LocalPlatform } from './local-platform';
import { LOCAL_PORTS } from './local-ports';
import { readLauncherFile, removeLauncherFile, writeLauncherFile } from './status/launcher-file';
import { startStatusServer, type StatusReport, type StatusServer } from './status/status-server';
import { renderStatusTable } from './status/status-table';
import { Supervisor } from './supervisor/supervisor';

/**
 * `npm start`: the whole platform on this machine with embedded defaults, supervised (a component
 * that dies is restarted; `npm run status` shows each one). Data (databases, Temporal history, DNS
 * zones, sandbox machines, backups, keys) lives in .fedops/ and survives restarts.
 *
 * `npm run status` (this program with the argument `status`): the state of a running launcher.
 */
async function main(): Promise<void> {
  const root = repoRoot();
  const config = readLauncherConfig(process.env, root);
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'status' && rest.length === 0) {
    process.exitCode = await printStatus(config);
  } else if (command === undefined) {
    await launch(config, root);
  } else {
    process.stderr.write('usage: fedops-platform [status]\n');
    process.exitCode = 64;
  }
}

async function launch(config: LauncherConfig, root: string): Promise<void> {
  const { dataDir } = config;
  say(`data in ${dataDir}`);
  let gaveUp = false;
  const supervisor = new Supervisor({
    say,
    logTail: (file) => logTail(file, 30),
    onGiveUp: () => {
      gaveUp = true;
    },
  });
  const local = new LocalPlatform(config, root, supervisor, say);
  let statusServer: StatusServer | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('stopping (supervision first, then workers drain)');
    await supervisor.stop(); // from here on an exit is a stop, not a crash
    await local.stop();
    await statusServer?.close();
    await removeLauncherFile(dataDir);
    say('stopped');
    process.exit(code === 0 && gaveUp ? 1 : code);
  };
  const onSignal = (): void => {
    if (stopping) {
      say('second signal: exiting now (children die with us)');
      process.exit(130);
    }
    void stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const report = (): StatusReport => ({ launcherPid: process.pid, components: supervisor.status() });
  try {
    // Fixed: a taken port fails naming its holder. Free: port 0, the kernel picks (nothing to race).
    statusServer =
      config.ports === 'fixed'
        ? (
            await startOnPorts({
              component: 'launcher status',
              names: ['http'],
              requested: { http: LOCAL_PORTS.status },
              start: ({ http }) => startStatusServer(http, report),
            })
          ).value
        : await startStatusServer(0, report);
    await writeLauncherFile(dataDir, { pid: process.pid, statusUrl: statusServer.url, urls: {} });
    await local.start();
    await writeLauncherFile(dataDir, { pid: process.pid, statusUrl: statusServer.url, urls: local.urls() });
  } catch (err) {
    process.stderr.write(`[fedops] failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof Error && err.cause !== undefined)
      process.stderr.write(`  cause: ${String(err.cause)}\n`);
    await stop(1);
    return;
  }
  const issuer = local.issuerHandle;
  const ops = issuer.clients.ops;
  const acme = issuer.clients.acme;
  const secretsFile = join(issuer.dataDir, 'client-secrets.json');
  const apiUrl = local.apiUrl;
  const endpoints = buildEndpointsFile({
    apiUrl,
    issuerUrl: issuer.issuerUrl,
    clients: { ops: ops.clientId, acme: acme.clientId, globex: issuer.clients.globex.clientId },
    clientSecretsFile: secretsFile,
    temporalAddress: local.temporalAddress,
    temporalUi: local.temporalUiUrl,
    s3: local.s3,
    statusUrl: statusServer.url,
    logsDir: join(dataDir, 'platform', 'logs'),
    simulated: local.simulatedProviders,
  });
  await writeEndpointsFile(dataDir, endpoints);
  const simulatorLines = local.simulatedProviders
    .map((s) => `  ${s.registration.name.padEnd(12)} ${s.simulator.url}   token: ${s.token}`)
    .join('\n');
  process.stdout.write(`
fedops is running.

  API          ${apiUrl}        (OpenAPI: ${apiUrl}/openapi.json)
  Temporal UI  ${local.temporalUiUrl ?? '(not started)'}
  S3 (backups) ${local.s3 === undefined ? '(not started)' : `${local.s3.endpoint.endpoint}   (bucket ${local.s3.endpoint.bucket})`}
  OIDC issuer  ${issuer.issuerUrl}
  Status       ${statusServer.url}   (npm run status)
  Logs         ${join(dataDir, 'platform', 'logs')}
  Endpoints    ${endpointsFilePath(dataDir)}   (every URL and credential path, for scripts)

Simulated providers (registered as providers; each VM is a real sandbox machine):
${simulatorLines}

Get a token (client credentials) for the seeded ops user or the seeded operator of org "acme"
(their secrets are in ${secretsFile}, readable by root only):

  TOKEN=$(curl -s -u ${ops.clientId}:$(jq -r '.["${ops.clientId}"]' ${secretsFile}) -d grant_type=client_credentials ${issuer.issuerUrl}/token | jq -r .access_token)
  TOKEN=$(curl -s -u ${acme.clientId}:$(jq -r '.["${acme.clientId}"]' ${secretsFile}) -d grant_type=client_credentials ${issuer.issuerUrl}/token | jq -r .access_token)

Create a tenant (placement picks a provider with room; add "placement":{"provider":"hetzner-sim"} to choose):

  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
    -d '{"domain":"example.org","apps":[{"app":"mastodon","options":{"singleUserMode":true}}]}' \\
    ${apiUrl}/v1/tenants

List the providers (ops token): curl -s -H "Authorization: Bearer $TOKEN" ${apiUrl}/v1/providers

A component that dies is restarted (with backoff; given up after repeated failures).
Ctrl-C stops everything; the next npm start reuses the data. (seeded clients: ${Object.values(SEEDED_CLIENT_IDS).join(', ')})
`);
}

/** Prints the running launcher's status table. Exit code: 0 all running, 1 some not, 2 no launcher. */
async function printStatus(config: LauncherConfig): Promise<number> {
  const file = await readLauncherFile(config.dataDir);
  const url = file?.statusUrl ?? `http://127.0.0.1:${LOCAL_PORTS.status}/status`;
  let report: StatusReport;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`it answered ${response.status}`);
    report = (await response.json()) as StatusReport;
  } catch (err) {
    process.stderr.write(
      `No launcher answers at ${url} (${err instanceof Error ? err.message : String(err)}). Is npm start running with FEDOPS_DATA_DIR=${config.dataDir}?\n`,
    );
    return 2;
  }
  process.stdout.write(
    `launcher pid ${report.launcherPid}, ${url}\n\n${renderStatusTable(report.components)}\n`,
  );
  return report.components.every((c) => c.state === 'running') ? 0 : 1;
}

function say(msg: string): void {
  process.stderr.write(`[fedops] ${msg}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[fedops] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
