import { createHmac, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AppSelection, DeployConfigurationInput } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { appServerBinDir, run } from '@fedops/sandbox-host';
import { openServiceDataSource, SecretBox } from '@fedops/service-kit';
import { createTestDatabase, dropTestDatabase, waitFor } from '@fedops/testing';
import type { DataSource } from 'typeorm';
import { SandboxStandinActivator } from '../activation/activator';
import { TenantSecrets1765200000000 } from '../migrations/1765200000000-tenant-secrets';
import { TenantSecretEntity } from '../secrets/tenant-secret.entity';
import { TenantSecretService } from '../secrets/tenant-secret.service';
import { startLocalMachine, standinPids, type LocalMachine } from '@fedops/testing';
import { DeploymentPipeline, type DeploymentPipelineDeps, type PipelineLogger } from './deployment-pipeline';

/**
 * A request through the machine's front (nginx, TLS with the fqdn as server name and Host; global
 * fetch drops Host). `body` objects are sent as JSON.
 */
function call(
  method: string,
  url: string,
  host: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers = {
      Host: host,
      ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...options.headers,
    };
    const req = lib.request(
      url,
      { method, headers, agent: false, servername: host, rejectUnauthorized: false },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function get(url: string, host: string): Promise<{ status: number; body: string }> {
  return call('GET', url, host);
}

/** Processes whose command line or working folder lies under `dir` (what a stopped machine left running). */
function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cmdline.includes(dir) || cwd.startsWith(dir))
        found.push(`${entry}: ${cmdline.replace(/\0/g, ' ')}`);
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

describe('DeploymentPipeline against a real sshd (sandbox stand-in activation) and PostgreSQL', () => {
  const machines: LocalMachine[] = [];
  const workDirs: string[] = [];
  const servers: http.Server[] = [];
  let databaseUrl: string;
  let dataSource: DataSource;
  let secrets: TenantSecretService;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('deployer_pipeline');
    dataSource = await openServiceDataSource({
      url: databaseUrl,
      schema: 'deployer',
      entities: [TenantSecretEntity],
      migrations: [TenantSecrets1765200000000],
    });
    secrets = new TenantSecretService(dataSource, new SecretBox(SecretBox.generateKey()));
  });

  async function setup(
    tenantId: string,
    deps: Pick<DeploymentPipelineDeps, 'activatorFor' | 'logger'> = {},
  ): Promise<{
    m: LocalMachine;
    pipeline: DeploymentPipeline;
    input: (apps: AppSelection[]) => DeployConfigurationInput;
  }> {
    const m = await startLocalMachine(tenantId);
    machines.push(m);
    const workDir = mkdtempSync(path.join(tmpdir(), 'fedops-deployer-work-'));
    workDirs.push(workDir);
    const pipeline = new DeploymentPipeline({
      workDir,
      privateKeyFile: m.privateKeyFile,
      healthTimeoutMs: 5000,
      secrets,
      ...deps,
    });
    return { m, pipeline, input: (apps) => ({ tenantId, domain: 'example.org', apps, machine: m.machine }) };
  }

  const generationOf = (m: LocalMachine): string =>
    readlinkSync(path.join(m.machine.fsRoot, 'nix/var/nix/profiles/system'));

  afterAll(async () => {
    for (const s of servers) s.close();
    for (const m of machines) {
      const root = m.machine.fsRoot;
      await m.stop();
      expect(standinPids(root)).toEqual([]);
      // Real servers and the machine PostgreSQL too (their command lines or folders name the root).
      expect(processesUnder(root)).toEqual([]);
    }
    for (const d of workDirs) rmSync(d, { recursive: true, force: true });
    await dataSource?.destroy();
    if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
  });

  it('deploys Mastodon, answers its health check, and activates a changed option as generation 2', async () => {
    const { m, pipeline, input } = await setup('tenant-a');
    const mastodon: AppSelection = { app: 'mastodon', options: { singleUserMode: false } };

    const first = await pipeline.deploy(input([mastodon]));
    const url = `https://${m.machine.address}/health`;
    expect(first).toMatchObject({
      generation: 1,
      apps: [{ app: 'mastodon', endpoint: 'web', healthy: true, url }],
    });
    expect(first.configHash).toMatch(/^[0-9a-f]{64}$/);
    const health = await get(url, 'social.example.org');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({
      app: 'mastodon',
      endpoint: 'web',
      fqdn: 'social.example.org',
      generation: 1,
      status: 'ok',
      items: 0, // the stand-in's data items (activation/sandbox-standin/standin-data.int-spec.ts)
    });
    expect((await get(`https://${m.machine.address}/`, 'social.example.org')).body).toContain(
      'Mastodon on social.example.org',
    );
    expect(generationOf(m)).toBe('system-1-link');
    const staged = path.join(m.machine.fsRoot, 'etc/fedops/staging', first.configHash);
    expect(readFileSync(path.join(staged, 'apps/mastodon.nix'), 'utf8')).toContain(
      'SINGLE_USER_MODE = "false";',
    );

    // Its generated secrets are on the machine, root-only, and stored sealed: the same values on every deploy.
    const secretFile = path.join(
      m.machine.fsRoot,
      'var/lib/fedops/secrets/mastodon/mastodon/secret-key-base',
    );
    expect(statSync(secretFile).mode & 0o777).toBe(0o400);
    const secretKeyBase = readFileSync(secretFile, 'utf8');
    expect(secretKeyBase).toMatch(/^[0-9a-f]{128}$/);
    const rows = await dataSource.getRepository(TenantSecretEntity).find({ where: { tenantId: 'tenant-a' } });
    expect(rows.map((r) => r.name).sort()).toEqual([
      'admin-password',
      'ar-encryption-deterministic-key',
      'ar-encryption-key-derivation-salt',
      'ar-encryption-primary-key',
      'secret-key-base',
    ]);
    expect(rows.every((r) => r.sealed.startsWith('v1:') && !r.sealed.includes(secretKeyBase))).toBe(true);

    // Same configuration again: nothing new.
    const again = await pipeline.deploy(input([mastodon]));
    expect(again).toEqual(first);
    expect(existsSync(path.join(m.machine.fsRoot, 'nix/var/nix/profiles/system-2-link'))).toBe(false);

    const changed = await pipeline.deploy(input([{ app: 'mastodon', options: { singleUserMode: true } }]));
    expect(changed.generation).toBe(2);
    expect(changed.configHash).not.toBe(first.configHash);
    expect(changed.deploymentId).not.toBe(first.deploymentId);
    expect(JSON.parse((await get(url, 'social.example.org')).body)).toMatchObject({ generation: 2 });
    expect(generationOf(m)).toBe('system-2-link');
    const generationDir = path.join(m.machine.fsRoot, 'nix/var/nix/profiles/system-2-link');
    expect(readFileSync(path.join(generationDir, 'apps/mastodon.nix'), 'utf8')).toContain(
      'SINGLE_USER_MODE = "true";',
    );
    expect(readFileSync(secretFile, 'utf8')).toBe(secretKeyBase);
  });

  it('deploys Matrix and checks each of its http endpoints (homeserver and Element) on its own port', async () => {
    const { m, pipeline, input } = await setup('tenant-d');
    const result = await pipeline.deploy(input([{ app: 'matrix', options: {} }]));
    expect(result.apps).toEqual([
      {
        app: 'matrix',
        endpoint: 'homeserver',
        healthy: true,
        url: `https://${m.machine.address}/health`,
      },
      {
        app: 'matrix',
        endpoint: 'element',
        healthy: true,
        url: `https://${m.machine.address}/config.json`,
      },
    ]);
    const element = await get(`https://${m.machine.address}/config.json`, 'element.example.org');
    expect(JSON.parse(element.body)).toMatchObject({
      app: 'matrix',
      endpoint: 'element',
      fqdn: 'element.example.org',
    });
    // The tenant domain answers Matrix's delegation through the front; plain HTTP is redirected.
    const wellKnown = await get(`https://${m.machine.address}/.well-known/matrix/server`, 'example.org');
    expect(JSON.parse(wellKnown.body)).toEqual({ 'm.server': 'matrix.example.org:443' });
    const plain = await get(`http://${m.machine.address}/health`, 'matrix.example.org');
    expect(plain.status).toBe(301);
    // The TURN secret reaches both readers with one value.
    const secretsDir = path.join(m.machine.fsRoot, 'var/lib/fedops/secrets/matrix');
    expect(readFileSync(path.join(secretsDir, 'turnserver/turn-static-auth-secret'), 'utf8')).toBe(
      readFileSync(path.join(secretsDir, 'matrix-synapse/turn-static-auth-secret'), 'utf8'),
    );
  });

  it('rolls back to generation 1 and fails with HEALTH_CHECK_FAILED when an app never gets healthy', async () => {
    const { m, pipeline, input } = await setup('tenant-b');
    const mastodon: AppSelection = { app: 'mastodon', options: {} };
    const first = await pipeline.deploy(input([mastodon]));
    expect(first.generation).toBe(1);

    // Something else holds GoToSocial's port on the machine and answers 503.
    const squatter = http.createServer((_req, res) => res.writeHead(503).end('busy'));
    servers.push(squatter);
    await new Promise<void>((resolve) => squatter.listen(8080, m.machine.address, resolve));

    const error = await pipeline
      .deploy(input([mastodon, { app: 'gotosocial', options: {} }]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FedopsError);
    expect((error as FedopsError).code).toBe(FedopsErrorCode.HealthCheckFailed);
    expect((error as FedopsError).message).toMatch(
      /gotosocial\/web .*HTTP 503.*rolled back to generation 1 \(healthy\)/,
    );

    expect(generationOf(m)).toBe('system-1-link');
    expect(existsSync(path.join(m.machine.fsRoot, 'nix/var/nix/profiles/system-2-link'))).toBe(true);
    const health = await get(`https://${m.machine.address}/health`, 'social.example.org');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ app: 'mastodon', generation: 1 });

    // Once the port is free, the same configuration deploys as a new generation (3).
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    const retried = await pipeline.deploy(input([mastodon, { app: 'gotosocial', options: {} }]));
    expect(retried.generation).toBe(3);
    expect(retried.apps.every((a) => a.healthy)).toBe(true);
  });

  it('rejects an invalid selection before touching the machine', async () => {
    const { m, pipeline, input } = await setup('tenant-c');
    const error = await pipeline
      .deploy(input([{ app: 'mastodon', options: { registrations: 'sometimes' } }]))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: FedopsErrorCode.ValidationFailed });
    expect(existsSync(path.join(m.machine.fsRoot, 'nix'))).toBe(false);
  });
  describe('with real Matrix (Dendrite) and Forgejo (Gitea) servers on the machine PostgreSQL', () => {
    const domain = 'example.org';
    let m: LocalMachine;
    let pipeline: DeploymentPipeline;
    let input: (apps: AppSelection[]) => DeployConfigurationInput;
    const both: AppSelection[] = [
      { app: 'matrix', options: {} },
      { app: 'forgejo', options: {} },
    ];

    beforeAll(async () => {
      ({ m, pipeline, input } = await setup('tenant-r'));
      const result = await pipeline.deploy(input(both));
      expect(result.apps.every((a) => a.healthy)).toBe(true);
    }, 300_000);

    const base = (): string => `https://${m.machine.address}`;
    const secretOf = (app: string, owner: string, name: string): string =>
      readFileSync(path.join(m.machine.fsRoot, 'var/lib/fedops/secrets', app, owner, name), 'utf8').trim();
    /** psql on the machine PostgreSQL's socket, the folder its postmaster.pid names (line 5). */
    const psql = async (database: string, sql: string): Promise<string[]> => {
      const clusters = path.join(m.machine.fsRoot, 'var/lib/fedops/postgresql');
      const [version] = readdirSync(clusters).filter((n) => /^\d+$/.test(n));
      const pidFile = readFileSync(path.join(clusters, version ?? 'none', 'postmaster.pid'), 'utf8');
      const socket = pidFile.split('\n')[4] ?? '';
      const { stdout } = await run('psql', [
        '-X',
        '-h',
        socket,
        '-U',
        'postgres',
        '-d',
        database,
        '-Atc',
        sql,
      ]);
      return stdout
        .trim()
        .split('\n')
        .filter((l) => l !== '');
    };
    /** Pids of this machine's processes running `binary` (a real server). */
    const serverPids = (binary: string): number[] =>
      processesUnder(m.machine.fsRoot)
        .filter((p) => p.split(' ')[1]?.endsWith(`/${binary}`) === true)
        .map((p) => Number(p.split(':')[0]));

    async function json<T>(
      method: string,
      route: string,
      host: string,
      options: { body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<T> {
      const res = await call(method, `${base()}${route}`, host, options);
      if (res.status < 200 || res.status >= 300)
        throw new Error(`${method} ${route}: HTTP ${res.status}: ${res.body}`);
      return JSON.parse(res.body) as T;
    }

    // --- Matrix, as a client on the tenant's homeserver name --------------------------------------
    const matrixHost = `matrix.${domain}`;
    async function matrixLogin(user: string, password: string): Promise<string> {
      const body = await json<{ access_token: string; user_id: string }>(
        'POST',
        '/_matrix/client/v3/login',
        matrixHost,
        {
          body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password },
        },
      );
      expect(body.user_id).toBe(`@${user}:${domain}`);
      return body.access_token;
    }
    /** A new account through Synapse's shared-secret admin API (Dendrite has it), with the delivered secret. */
    async function matrixRegister(user: string, password: string): Promise<string> {
      const { nonce } = await json<{ nonce: string }>('GET', '/_synapse/admin/v1/register', matrixHost);
      const mac = createHmac('sha1', secretOf('matrix', 'matrix-synapse', 'registration-shared-secret'))
        .update([nonce, user, password, 'notadmin'].join('\0'))
        .digest('hex');
      const body = await json<{ access_token: string }>('POST', '/_synapse/admin/v1/register', matrixHost, {
        body: { nonce, username: user, password, admin: false, mac },
      });
      return body.access_token;
    }
    function matrix(token: string) {
      const api = <T>(method: string, route: string, body?: unknown): Promise<T> =>
        json<T>(method, `/_matrix/client/v3${route}`, matrixHost, {
          headers: { Authorization: `Bearer ${token}` },
          ...(body === undefined ? {} : { body }),
        });
      return {
        api,
        send: (roomId: string, text: string) =>
          api(
            'PUT',
            `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${randomBytes(8).toString('hex')}`,
            {
              msgtype: 'm.text',
              body: text,
            },
          ),
        /** The room's texts once they include `text` (Dendrite's sync API catches up asynchronously). */
        readUntil: (roomId: string, text: string) =>
          waitFor(
            async () => {
              const page = await api<{ chunk: Array<{ type: string; content: { body?: string } }> }>(
                'GET',
                `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
              );
              const texts = page.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
              return texts.includes(text) ? texts : undefined;
            },
            { description: `"${text}" in ${roomId}`, timeoutMs: 20_000, intervalMs: 200 },
          ),
      };
    }

    it('lets the first admin (delivered password) and a second account exchange Matrix messages through the front', async () => {
      const owner = matrix(
        await matrixLogin('owner', secretOf('matrix', 'matrix-synapse', 'admin-password')),
      );
      const bobPassword = randomBytes(12).toString('hex');
      await matrixRegister('bob', bobPassword);
      const bob = matrix(await matrixLogin('bob', bobPassword));

      const { room_id: roomId } = await owner.api<{ room_id: string }>('POST', '/createRoom', {
        preset: 'private_chat',
        invite: [`@bob:${domain}`],
      });
      const hello = `hello bob ${randomBytes(4).toString('hex')}`;
      await owner.send(roomId, hello);
      await bob.api('POST', `/join/${encodeURIComponent(roomId)}`, {});
      expect(await bob.readUntil(roomId, hello)).toContain(hello);
      const reply = `hi owner ${randomBytes(4).toString('hex')}`;
      await bob.send(roomId, reply);
      expect(await owner.readUntil(roomId, reply)).toEqual(expect.arrayContaining([hello, reply]));

      // Both accounts are rows of the machine PostgreSQL's matrix-synapse database.
      expect(await psql('matrix-synapse', 'SELECT localpart FROM userapi_accounts ORDER BY 1')).toEqual(
        expect.arrayContaining(['bob', 'owner']),
      );
    });

    // --- Forgejo: API and git over https -------------------------------------------------------------
    const gitHost = `git.${domain}`;
    /** git without prompts or credential helpers, reaching git.<domain> at the machine's address. */
    const git = (args: string[]) =>
      run(
        '/usr/bin/env',
        [
          'GIT_TERMINAL_PROMPT=0',
          'git',
          '-c',
          'credential.helper=',
          '-c',
          'http.sslVerify=false',
          '-c',
          `http.curloptResolve=${gitHost}:443:${m.machine.address}`,
          '-c',
          'user.name=Test Person',
          '-c',
          `user.email=person@${domain}`,
          ...args,
        ],
        { timeoutMs: 60_000 },
      );

    it('takes a git push over https through the front into a repository the admin made with the API, and a clone gives it back', async () => {
      const password = secretOf('forgejo', 'forgejo', 'admin-password');
      const auth = `Basic ${Buffer.from(`owner:${password}`).toString('base64')}`;
      const repo = await json<{ full_name: string; clone_url: string }>(
        'POST',
        '/api/v1/user/repos',
        gitHost,
        {
          headers: { Authorization: auth },
          body: { name: 'notes', private: true },
        },
      );
      expect(repo).toMatchObject({
        full_name: 'owner/notes',
        clone_url: `https://${gitHost}/owner/notes.git`,
      });

      const work = mkdtempSync(path.join(tmpdir(), 'fedops-git-'));
      workDirs.push(work);
      const source = path.join(work, 'source');
      mkdirSync(source);
      const text = `pushed through the front ${randomBytes(4).toString('hex')}\n`;
      writeFileSync(path.join(source, 'README.md'), text);
      await git(['-C', source, 'init', '-q', '-b', 'main']);
      await git(['-C', source, 'add', 'README.md']);
      await git(['-C', source, 'commit', '-q', '-m', 'first']);
      const remote = new URL(repo.clone_url);
      remote.username = 'owner';
      remote.password = password;
      await git(['-C', source, 'push', '-q', remote.toString(), 'main']);

      const copy = path.join(work, 'copy');
      await git(['clone', '-q', remote.toString(), copy]);
      expect(readFileSync(path.join(copy, 'README.md'), 'utf8')).toBe(text);
      // The repository is in the machine PostgreSQL's forgejo database and under Forgejo's data path.
      expect(await psql('forgejo', "SELECT lower_name FROM repository WHERE lower_name = 'notes'")).toEqual([
        'notes',
      ]);
      expect(existsSync(path.join(m.machine.fsRoot, 'var/lib/forgejo/repositories/owner/notes.git'))).toBe(
        true,
      );
    });

    // --- TURN: Debian's coturn on the machine address -----------------------------------------------
    /** TURN REST credentials (coturn's use-auth-secret): `<unix expiry>:<name>`, base64(HMAC-SHA1(secret, user)). */
    const turnCredentials = (secret: string, name: string): { username: string; password: string } => {
      const username = `${Math.floor(Date.now() / 1000) + 3600}:${name}`;
      return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
    };
    /**
     * Debian's turnutils_uclient against the machine's coturn: allocates a relay, then binds a channel
     * to the peer 127.0.0.1, which coturn must refuse (denied-peer-ip): the run ends there, so it
     * exits non-zero either way and its output tells what happened. No packet is relayed anywhere.
     */
    const uclient = async (
      credentials: { username: string; password: string },
      flags: string[] = [],
    ): Promise<string> => {
      const { stdout, stderr } = await run(
        'turnutils_uclient',
        [
          '-v',
          '-c',
          '-n',
          '1',
          '-e',
          '127.0.0.1',
          ...flags,
          '-u',
          credentials.username,
          '-w',
          credentials.password,
          m.machine.address,
        ],
        { allowFailure: true, timeoutMs: 60_000 },
      );
      return `${stdout}\n${stderr}`;
    };
    /** The relay port coturn allocated on the machine address, per uclient's output (undefined: none). */
    const relayPort = (output: string): number | undefined => {
      const escaped = m.machine.address.replace(/\./g, '\\.');
      const found = new RegExp(`Received relay addr: ${escaped}:(\\d+)`).exec(output);
      return found === null ? undefined : Number(found[1]);
    };
    const inRelayRange = (port: number | undefined): boolean =>
      port !== undefined && port >= 49152 && port <= 49999;

    it('allocates TURN relays on coturn over UDP and TCP 3478 and TLS 5349 with REST credentials from the delivered secret, refuses a wrong secret and loopback peers', async () => {
      const good = turnCredentials(secretOf('matrix', 'turnserver', 'turn-static-auth-secret'), 'alice');
      for (const flags of [
        ['-p', '3478'],
        ['-t', '-p', '3478'],
        ['-t', '-S', '-p', '5349'],
      ]) {
        const output = await uclient(good, flags);
        expect({ flags, relay: inRelayRange(relayPort(output)) }).toEqual({ flags, relay: true });
        expect(output).toMatch(/channel bind: error 403 \(Forbidden IP\)/);
      }
      const wrong = await uclient(turnCredentials(randomBytes(32).toString('hex'), 'mallory'), [
        '-p',
        '3478',
      ]);
      expect(relayPort(wrong)).toBeUndefined();
      expect(wrong).toMatch(/Cannot complete Allocation/);
    });

    it("serves TLS and DTLS on 5349 with the front's certificate, which covers the TURN name", async () => {
      const cert = path.join(m.machine.fsRoot, 'etc/fedops/front/tls/cert.pem');
      // openssl, not uclient: uclient's DTLS handshakes with this coturn end in an internal-error alert.
      for (const protocol of ['-tls1_2', '-dtls1_2']) {
        const { exitCode, stdout } = await run(
          'openssl',
          [
            's_client',
            protocol,
            '-connect',
            `${m.machine.address}:5349`,
            '-CAfile',
            cert,
            '-verify_return_error',
            '-verify_hostname',
            `turn.${domain}`,
          ],
          { allowFailure: true, timeoutMs: 20_000 },
        );
        expect({ protocol, exitCode, verified: stdout.includes('Verify return code: 0 (ok)') }).toEqual({
          protocol,
          exitCode: 0,
          verified: true,
        });
      }
    });

    it("hands a signed-in Matrix client TURN credentials (voip/turnServer) that the machine's coturn accepts", async () => {
      const owner = matrix(
        await matrixLogin('owner', secretOf('matrix', 'matrix-synapse', 'admin-password')),
      );
      const turn = await owner.api<{ username: string; password: string; uris: string[]; ttl: number }>(
        'GET',
        '/voip/turnServer',
      );
      expect(turn).toMatchObject({
        uris: [
          `turns:turn.${domain}:5349?transport=udp`,
          `turns:turn.${domain}:5349?transport=tcp`,
          `turn:turn.${domain}:3478?transport=udp`,
          `turn:turn.${domain}:3478?transport=tcp`,
        ],
        ttl: 3600,
        username: expect.stringMatching(new RegExp(`^\\d+:@owner:${domain.replace(/\./g, '\\.')}$`)),
      });
      expect(inRelayRange(relayPort(await uclient(turn, ['-p', '3478'])))).toBe(true);
    });

    it('keeps coturn across a switch that changes only Dendrite, stops it for a generation with turn off, and starts it again with turn on', async () => {
      const [coturn] = serverPids('turnserver');
      const [dendrite] = serverPids('dendrite');
      expect(coturn).toEqual(expect.any(Number));

      const openRegistration = await pipeline.deploy(
        input([
          { app: 'matrix', options: { registrationOpen: true } },
          { app: 'forgejo', options: {} },
        ]),
      );
      expect(openRegistration.apps.every((a) => a.healthy)).toBe(true);
      expect(serverPids('dendrite')).not.toContain(dendrite);
      expect(serverPids('turnserver')).toEqual([coturn]);

      const turnOff = await pipeline.deploy(
        input([
          { app: 'matrix', options: { turn: false } },
          { app: 'forgejo', options: {} },
        ]),
      );
      expect(turnOff.apps.every((a) => a.healthy)).toBe(true);
      expect(serverPids('turnserver')).toEqual([]);
      const owner = matrix(
        await matrixLogin('owner', secretOf('matrix', 'matrix-synapse', 'admin-password')),
      );
      // Without a TURN server the homeserver hands out no TURN credentials.
      expect(await owner.api('GET', '/voip/turnServer')).toEqual({});

      const turnOn = await pipeline.deploy(input(both));
      expect(turnOn.apps.every((a) => a.healthy)).toBe(true);
      expect(serverPids('turnserver')).toEqual([expect.any(Number)]);
      expect(serverPids('turnserver')).not.toContain(coturn);
      const good = turnCredentials(secretOf('matrix', 'turnserver', 'turn-static-auth-secret'), 'alice');
      expect(inRelayRange(relayPort(await uclient(good, ['-p', '3478'])))).toBe(true);
    });

    it('stops Dendrite for a generation without Matrix, keeps Gitea running, and back on Matrix serves the kept accounts and messages', async () => {
      const owner = matrix(
        await matrixLogin('owner', secretOf('matrix', 'matrix-synapse', 'admin-password')),
      );
      const { room_id: roomId } = await owner.api<{ room_id: string }>('POST', '/createRoom', {
        preset: 'private_chat',
      });
      const note = `kept across generations ${randomBytes(4).toString('hex')}`;
      await owner.send(roomId, note);
      await owner.readUntil(roomId, note);
      const [dendrite] = serverPids('dendrite');
      const gitea = serverPids('gitea');
      expect(dendrite).toEqual(expect.any(Number));

      const without = await pipeline.deploy(input([{ app: 'forgejo', options: {} }]));
      expect(without.apps).toEqual([expect.objectContaining({ app: 'forgejo', healthy: true })]);
      expect(serverPids('dendrite')).toEqual([]);
      expect(serverPids('turnserver')).toEqual([]); // coturn belongs to Matrix
      expect(serverPids('gitea')).toEqual(gitea); // its configuration did not change: not restarted
      expect((await get(`${base()}/_matrix/client/versions`, matrixHost)).status).toBe(404);

      const back = await pipeline.deploy(input(both));
      expect(back.generation).toBe(without.generation + 1);
      expect(back.apps.every((a) => a.healthy)).toBe(true);
      expect(serverPids('dendrite')).not.toContain(dendrite);
      expect(serverPids('turnserver')).toEqual([expect.any(Number)]);
      // The first admin exists already (its creation is idempotent) and still logs in; the room kept its message.
      const again = matrix(
        await matrixLogin('owner', secretOf('matrix', 'matrix-synapse', 'admin-password')),
      );
      expect(await again.readUntil(roomId, note)).toContain(note);
    });
  });

  it('fails the deployment, naming the missing binary, when Dendrite is not built on the host', async () => {
    const warnings: unknown[] = [];
    const logger: PipelineLogger = {
      info: (msg, fields) =>
        msg === 'configuration activated' ? warnings.push(fields?.['warnings']) : undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const missing = path.join(tmpdir(), `fedops-no-dendrite-${randomBytes(4).toString('hex')}`);
    const activator = new SandboxStandinActivator({
      appServers: { dendrite: missing, gitea: appServerBinDir('gitea') },
    });
    const { m, pipeline, input } = await setup('tenant-e', { activatorFor: () => activator, logger });
    const error = await pipeline.deploy(input([{ app: 'matrix', options: {} }])).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: FedopsErrorCode.HealthCheckFailed });
    expect((error as FedopsError).message).toMatch(/matrix\/homeserver .*HTTP 502/);
    expect(JSON.stringify(warnings)).toContain(`${missing}/dendrite is missing`);
    // Element, a stand-in, still came up; nothing answers in the homeserver's place.
    expect((await get(`https://${m.machine.address}/config.json`, 'element.example.org')).status).toBe(200);
    expect(processesUnder(m.machine.fsRoot).filter((p) => p.includes('dendrite'))).toEqual([]);
  });
});
