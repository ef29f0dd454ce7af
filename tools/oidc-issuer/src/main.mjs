#!/usr/bin/env node
// Runs the embedded issuer as its own process.
//
//   OIDC_ISSUER_PORT       port to listen on (default 9400; 0 picks a free one, announced in the "ready" line)
//   OIDC_ISSUER_HOST       address to bind (default 127.0.0.1)
//   OIDC_ISSUER_URL        issuer identifier (default http://127.0.0.1:<port>); set it when behind a proxy
//   OIDC_ISSUER_DATA_DIR   where signing keys and client secrets are kept (default .fedops/oidc-issuer)
//   OIDC_CLIENTS_FILE      optional JSON list of clients replacing the seeded ones (see issuer.mjs)
//   OIDC_ACCESS_TOKEN_TTL  access token lifetime in seconds (default 600)
//
// stdout: JSON lines. First {"msg":"ready","issuer":...,"secretsFile":...}, then one line per request.
import { createServer } from 'node:http';
import { resolve, join } from 'node:path';

import { createIssuer, DEFAULT_CLIENTS, readClientsFile } from './issuer.mjs';
import { SECRETS_FILE } from './store.mjs';

/** @param {Record<string, unknown>} fields */
function log(fields) {
  process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), ...fields })}\n`);
}

/** @param {NodeJS.ProcessEnv} env */
function readConfig(env) {
  const problems = [];
  const port = Number(env.OIDC_ISSUER_PORT ?? '9400');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push('OIDC_ISSUER_PORT: expected an integer 0-65535');
  const ttl = Number(env.OIDC_ACCESS_TOKEN_TTL ?? '600');
  if (!Number.isInteger(ttl) || ttl < 1)
    problems.push('OIDC_ACCESS_TOKEN_TTL: expected a positive integer (seconds)');
  const issuerUrl = env.OIDC_ISSUER_URL;
  if (issuerUrl !== undefined && URL.parse(issuerUrl) === null)
    problems.push('OIDC_ISSUER_URL: expected an absolute URL');
  if (problems.length > 0) throw new Error(`invalid configuration: ${problems.join('; ')}`);
  return {
    port,
    host: env.OIDC_ISSUER_HOST ?? '127.0.0.1',
    issuerUrl,
    dataDir: resolve(env.OIDC_ISSUER_DATA_DIR ?? '.fedops/oidc-issuer'),
    clientsFile: env.OIDC_CLIENTS_FILE,
    ttl,
  };
}

async function main() {
  const config = readConfig(process.env);
  const clients =
    config.clientsFile === undefined ? DEFAULT_CLIENTS : await readClientsFile(config.clientsFile);

  /** @type {import('node:http').RequestListener} */
  let handler = (_req, res) => {
    res.writeHead(503).end();
  };
  const server = createServer((req, res) => handler(req, res));
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(config.port, config.host, () => ok(undefined));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const issuerUrl = config.issuerUrl ?? `http://127.0.0.1:${port}`;

  const { provider } = await createIssuer({
    issuerUrl,
    dataDir: config.dataDir,
    clients,
    accessTokenTtlSeconds: config.ttl,
  });
  provider.on('server_error', (ctx, err) => {
    ctx.state.serverError = err instanceof Error ? err.message : String(err);
  });
  provider.use(async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // Path only: query strings and bodies may carry credentials.
      log({
        msg: 'request',
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round(performance.now() - started),
        ...(ctx.oidc?.client ? { client: ctx.oidc.client.clientId } : {}),
        ...(ctx.body?.error ? { error: ctx.body.error } : {}),
        ...(ctx.state.serverError ? { serverError: ctx.state.serverError } : {}),
      });
    }
  });
  handler = provider.callback();

  log({
    msg: 'ready',
    issuer: issuerUrl,
    port,
    clients: clients.map((c) => c.clientId),
    secretsFile: join(config.dataDir, SECRETS_FILE),
  });

  const stop = (/** @type {string} */ signal) => {
    log({ msg: 'stopping', signal });
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  const causes = [];
  for (let e = err; e instanceof Error; e = e.cause) causes.push(e.message);
  process.stderr.write(
    `${JSON.stringify({ ts: new Date().toISOString(), level: 'error', msg: causes.join(': ') || String(err) })}\n`,
  );
  process.exit(1);
});
