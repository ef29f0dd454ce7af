import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildSpawnCommand } from '../infra/managed-process';
import { waitFor } from '../wait-for';

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
}

export interface OidcIssuerHandle {
  issuerUrl: string;
  dataDir: string;
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

/** Starts the embedded issuer (tools/oidc-issuer) as a child process and waits for its discovery document. */
export async function startOidcIssuer(options: StartOidcIssuerOptions): Promise<OidcIssuerHandle> {
  // Through setpriv --pdeathsig: the issuer dies with the process that started it, even on SIGKILL.
  const command = buildSpawnCommand(process.execPath, [oidcIssuerEntryPoint()], {
    setprivPath: existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null,
  });
  const child = spawn(command.command, [...command.args], {
    env: {
      PATH: process.env.PATH ?? '',
      OIDC_ISSUER_PORT: String(options.port ?? 0),
      OIDC_ISSUER_DATA_DIR: options.dataDir,
      ...(options.accessTokenTtlSeconds === undefined
        ? {}
        : { OIDC_ACCESS_TOKEN_TTL: String(options.accessTokenTtlSeconds) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child);
  const stop = stopper(child);
  try {
    const issuerUrl = await waitFor(() => output.readyIssuer, {
      description: 'the OIDC issuer to start',
      timeoutMs: options.timeoutMs ?? 20_000,
      signal: output.exited,
    });
    await waitFor(
      async () => {
        const res = await fetch(`${issuerUrl}/.well-known/openid-configuration`);
        return res.ok;
      },
      {
        description: `discovery at ${issuerUrl}`,
        timeoutMs: options.timeoutMs ?? 20_000,
        signal: output.exited,
      },
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
      clients: {
        ops: credentials(SEEDED_CLIENT_IDS.ops),
        acme: credentials(SEEDED_CLIENT_IDS.acme),
        globex: credentials(SEEDED_CLIENT_IDS.globex),
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw new Error(`OIDC issuer did not start: ${output.tail()}`, { cause: err });
  }
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

interface CapturedOutput {
  /** The issuer URL once the "ready" line was printed. */
  readonly readyIssuer: string | undefined;
  /** Aborted when the process exits. */
  readonly exited: AbortSignal;
  tail(): string;
}

function captureOutput(child: ChildProcess): CapturedOutput {
  const lines: string[] = [];
  const exited = new AbortController();
  let readyIssuer: string | undefined;
  const remember = (line: string): void => {
    lines.push(line);
    if (lines.length > 20) lines.shift();
  };
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
      if (readyIssuer === undefined) readyIssuer = issuerFromReadyLine(line);
      if (!line.includes('"msg":"request"')) remember(line);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => remember(chunk.trimEnd()));
  child.once('exit', (code, signal) =>
    exited.abort(new Error(`issuer exited (code ${code}, signal ${signal})`)),
  );
  return {
    get readyIssuer() {
      return readyIssuer;
    },
    exited: exited.signal,
    tail: () => lines.join('\n') || '(no output)',
  };
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

function stopper(child: ChildProcess): () => Promise<void> {
  const gone = new Promise<void>((resolveGone) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveGone();
    else child.once('exit', () => resolveGone());
  });
  return async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    try {
      await gone;
    } finally {
      clearTimeout(timer);
    }
  };
}
