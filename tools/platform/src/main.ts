import { join } from 'node:path';
import {
  Platform,
  ensureDatabase,
  repoRoot,
  startInfrastructure,
  startOidcIssuer,
  SEEDED_CLIENT_IDS,
  type Infrastructure,
  type OidcIssuerHandle,
} from '@fedops/testing';
import { LOCAL_PORTS } from './local-ports';

/**
 * `npm start`: the whole platform on this machine with embedded defaults. Data (databases, Temporal
 * history, DNS zones, sandbox machines, backups, keys) lives in .fedops/ and survives restarts.
 */
async function main(): Promise<void> {
  const root = repoRoot();
  const dataDir = process.env['FEDOPS_DATA_DIR'] ?? join(root, '.fedops');
  say(`data in ${dataDir}`);
  say('starting PostgreSQL, NATS JetStream, Temporal and PowerDNS');
  const infra: Infrastructure = await startInfrastructure({
    dataDir: join(dataDir, 'infra'),
    ephemeral: false,
    temporalUi: true,
    ports: LOCAL_PORTS.infra,
  });
  let issuer: OidcIssuerHandle | undefined;
  let platform: Platform | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('stopping (workers drain first)');
    await platform?.stop();
    await issuer?.stop();
    await infra.stop();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    const databaseUrl = await ensureDatabase(infra.endpoints.postgres.url, 'fedops');
    say('starting the OIDC issuer');
    issuer = await startOidcIssuer({ dataDir: join(dataDir, 'oidc'), port: LOCAL_PORTS.oidc });
    say('starting tenant-api, provisioner, dns, deployer, backup');
    platform = await Platform.start({
      repoRoot: root,
      dataDir: join(dataDir, 'platform'),
      infra: infra.endpoints,
      databaseUrl,
      oidcIssuerUrl: issuer.issuerUrl,
      sandboxPrefix: 'fo',
      ports: LOCAL_PORTS.services,
    });
  } catch (err) {
    process.stderr.write(`[fedops] failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof Error && err.cause !== undefined)
      process.stderr.write(`  cause: ${String(err.cause)}\n`);
    await stop(1);
    return;
  }
  const ops = issuer.clients.ops;
  const acme = issuer.clients.acme;
  const secretsFile = join(issuer.dataDir, 'client-secrets.json');
  process.stdout.write(`
fedops is running.

  API          ${platform.apiUrl}        (OpenAPI: ${platform.apiUrl}/openapi.json)
  Temporal UI  ${infra.endpoints.temporal.uiUrl ?? '(not started)'}
  OIDC issuer  ${issuer.issuerUrl}
  Logs         ${join(dataDir, 'platform', 'logs')}

Get a token (client credentials) for the seeded ops user or the seeded operator of org "acme"
(their secrets are in ${secretsFile}, readable by root only):

  TOKEN=$(curl -s -u ${ops.clientId}:$(jq -r '.["${ops.clientId}"]' ${secretsFile}) -d grant_type=client_credentials ${issuer.issuerUrl}/token | jq -r .access_token)
  TOKEN=$(curl -s -u ${acme.clientId}:$(jq -r '.["${acme.clientId}"]' ${secretsFile}) -d grant_type=client_credentials ${issuer.issuerUrl}/token | jq -r .access_token)

Create a tenant:

  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
    -d '{"domain":"example.org","apps":[{"app":"mastodon","options":{"singleUserMode":true}}]}' \\
    ${platform.apiUrl}/v1/tenants

Ctrl-C stops everything; the next npm start reuses the data. (seeded clients: ${Object.values(SEEDED_CLIENT_IDS).join(', ')})
`);
}

function say(msg: string): void {
  process.stderr.write(`[fedops] ${msg}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`[fedops] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
