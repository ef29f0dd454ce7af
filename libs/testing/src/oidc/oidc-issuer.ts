import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  outputSinceStart,
  spawnManaged,
  waitUntilReady,
  type ManagedProcess,
} from '../infra/managed-process';
import { startOnPorts } from '../infra/port-allocation';

export interface OidcClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface StartOidcIssuerOptions {
  /** Keys and client secrets live here; reuse it to restart the same issuer. */
  dataDir: string;
  /** Default 0: a free port chosen by the issuer. */
  port?: number;
  /** Access token lifetime. Default: the issuer's (600 s). */
  accessTokenTtlSeconds?: number;
  /** Deadline for the issuer to answer discovery. Default 20 s. */
  timeoutMs?: number;
  /** Its output (JSON lines). Default `<dataDir>/issuer.log`. */
  logFile?: string;
}

export interface OidcIssuerHandle {
  issuerUrl: string;
  dataDir: string;
  /** The port it listens on (the one it chose itself when asked for port 0). */
  port: number;
  pid: number;
  logFile: string;
  /** Aborted when the issuer process exits. */
  exited: AbortSignal;
  /** The seeded clients: ops staff, operator of org `acme`, operator of org `globex`. */
  clients: { ops: OidcClientCredentials; acme: OidcClientCredentials; globex: OidcClientCredentials };
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

export const SEEDED_CLIENT_IDS = {
  ops: 'fedops-ops',
  acme: 'fedops-operator-acme',
  globex: 'fedops-operator-globex',
} as const;

/** tools/oidc-issuer/src/main.mjs, found from this file (same depth from src/ and dist/). */
export function oidcIssuerEntryPoint(): string {
  const entry = resolve(__dirname, '..', '..', '..', '..', 'tools', 'oidc-issuer', 'src', 'main.mjs');
  if (!existsSync(entry)) throw new Error(`OIDC issuer entry point not found at ${entry}`);
  return entry;
}

/**
 * Starts the embedded issuer (tools/oidc-issuer) as a child process and waits for its discovery
 * document. Port 0 (the default) lets the issuer bind a free port itself, so nothing can take it in
 * between; an explicit port that is taken fails with a message naming what holds it.
 */
export async function startOidcIssuer(options: StartOidcIssuerOptions): Promise<OidcIssuerHandle> {
  await mkdir(options.dataDir, { recursive: true });
  if (!options.port) return launchIssuer(options, 0);
  const { value } = await startOnPorts({
    component: 'oidc-issuer',
    names: ['http'],
    requested: { http: options.port },
    start: ({ http }) => launchIssuer(options, http),
  });
  return value;
}

async function launchIssuer(options: StartOidcIssuerOptions, port: number): Promise<OidcIssuerHandle> {
  const logFile = options.logFile ?? join(options.dataDir, 'issuer.log');
  // Through setpriv --pdeathsig (spawnManaged): the issuer dies with its parent, even on SIGKILL.
  const proc = await spawnManaged({
    name: 'oidc-issuer',
    command: process.execPath,
    args: [oidcIssuerEntryPoint()],
    logFile,
    env: {
      PATH: process.env.PATH ?? '',
      OIDC_ISSUER_PORT: String(port),
      OIDC_ISSUER_DATA_DIR: options.dataDir,
      ...(options.accessTokenTtlSeconds === undefined
        ? {}
        : { OIDC_ACCESS_TOKEN_TTL: String(options.accessTokenTtlSeconds) }),
    },
    graceMs: 5_000,
  });
  try {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const issuerUrl = await waitUntilReady(proc, () => readyIssuer(proc), {
      description: 'the OIDC issuer to start',
      timeoutMs,
      ...(port === 0 ? {} : { ports: [port] }),
    });
    await waitUntilReady(
      proc,
      async () =>
        (
          await fetch(`${issuerUrl}/.well-known/openid-configuration`, {
            signal: AbortSignal.timeout(2_000),
          })
        ).ok,
      { description: `discovery at ${issuerUrl}`, timeoutMs },
    );
    const secrets = await readClientSecrets(options.dataDir);
    const credentials = (clientId: string): OidcClientCredentials => {
      const clientSecret = secrets[clientId];
      if (clientSecret === undefined) throw new Error(`no secret for ${clientId} in ${options.dataDir}`);
      return { clientId, clientSecret };
    };
    return {
      issuerUrl,
      dataDir: options.dataDir,
      port: Number(new URL(issuerUrl).port),
      pid: proc.pid,
      logFile,
      exited: proc.exited,
      clients: {
        ops: credentials(SEEDED_CLIENT_IDS.ops),
        acme: credentials(SEEDED_CLIENT_IDS.acme),
        globex: credentials(SEEDED_CLIENT_IDS.globex),
      },
      stop: () => proc.stop(),
    };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/** The issuer URL from its "ready" line, once it printed one. */
async function readyIssuer(proc: ManagedProcess): Promise<string | undefined> {
  for (const line of (await outputSinceStart(proc)).split('\n')) {
    const issuer = issuerFromReadyLine(line);
    if (issuer !== undefined) return issuer;
  }
  return undefined;
}

/** The secrets the issuer generated in its data dir (`client-secrets.json`). */
export async function readClientSecrets(dataDir: string): Promise<Record<string, string>> {
  const parsed: unknown = JSON.parse(await readFile(join(dataDir, 'client-secrets.json'), 'utf8'));
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error(`client-secrets.json in ${dataDir} is not an object`);
  return Object.fromEntries(
    Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** The issuer's private signing key (`jwks.json`), for tests that must mint tokens the issuer would not. */
export async function readIssuerSigningKey(
  dataDir: string,
): Promise<{ kid: string; alg: string; jwk: { kty: string } & Record<string, unknown> }> {
  const parsed: unknown = JSON.parse(await readFile(join(dataDir, 'jwks.json'), 'utf8'));
  const key: unknown =
    typeof parsed === 'object' && parsed !== null && 'keys' in parsed && Array.isArray(parsed.keys)
      ? parsed.keys[0]
      : undefined;
  if (
    typeof key !== 'object' ||
    key === null ||
    !('kid' in key) ||
    typeof key.kid !== 'string' ||
    !('alg' in key) ||
    typeof key.alg !== 'string' ||
    !('kty' in key) ||
    typeof key.kty !== 'string'
  ) {
    throw new Error(`jwks.json in ${dataDir} holds no usable key`);
  }
  return { kid: key.kid, alg: key.alg, jwk: { ...(key as Record<string, unknown>), kty: key.kty } };
}

function issuerFromReadyLine(line: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'msg' in parsed &&
      parsed.msg === 'ready' &&
      'issuer' in parsed &&
      typeof parsed.issuer === 'string'
    ) {
      return parsed.issuer;
    }
  } catch {
    // not a JSON line (e.g. a warning); keep reading
  }
  return undefined;
}
