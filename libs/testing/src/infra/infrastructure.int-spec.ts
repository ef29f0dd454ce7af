import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

import { Client as TemporalClient, Connection } from '@temporalio/client';
import { AckPolicy, connect, type NatsConnection } from 'nats';
import { Client as PgClient } from 'pg';

import { createTestDatabase, dropTestDatabase, testInfra } from '../jest/test-infra';
import { waitFor } from '../wait-for';
import { startOidcIssuer } from '../oidc/oidc-issuer';
import { freePorts, isPortFree } from './free-port';
import {
  pdnsServerInfo,
  s3Ready,
  startInfrastructure,
  startNats,
  startPostgres,
  startPowerDns,
  startS3,
  startTemporal,
  type Infrastructure,
  type PortPicker,
} from './index';
import type { InfraEndpoints, NatsEndpoint, RunningComponent, S3Endpoint } from './types';

const execFileAsync = promisify(execFile);

/** Alive = has a /proc entry that is not a zombie (pid 1 here may not reap orphans). */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function portsOf(endpoints: InfraEndpoints): number[] {
  return [
    endpoints.postgres.port,
    Number(new URL(endpoints.nats.url).port),
    Number(endpoints.temporal.address.split(':')[1]),
    Number(new URL(endpoints.powerdns.apiUrl).port),
    endpoints.powerdns.dnsPort,
    Number(new URL(endpoints.s3.endpoint).port),
  ];
}

/** The real restic (as the backup service runs it) on a repository in the S3 endpoint's bucket. */
async function restic(s3: S3Endpoint, prefix: string, args: readonly string[]): Promise<string> {
  const { stdout } = await execFileAsync(
    '/usr/bin/restic',
    ['-r', `s3:${s3.endpoint}/${s3.bucket}/${prefix}`, '--no-cache', ...args],
    {
      env: {
        PATH: process.env['PATH'],
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_DEFAULT_REGION: s3.region,
        RESTIC_PASSWORD: 'harness-probe',
      },
      timeout: 60_000,
    },
  );
  return stdout;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fedops-harness-'));
  await chmod(dir, 0o755);
  return dir;
}

async function pdns(
  endpoints: InfraEndpoints,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${endpoints.powerdns.apiUrl}/api/v1/servers/${endpoints.powerdns.serverId}${path}`, {
    method,
    headers: {
      'X-API-Key': endpoints.powerdns.apiKey,
      Accept: 'application/json',
      'Content-Type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function withPg<T>(url: string, use: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** As the admin user: the harness's server admits no anonymous client. */
async function withNats<T>(endpoint: NatsEndpoint, use: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connect({
    servers: endpoint.url,
    user: endpoint.admin.user,
    pass: endpoint.admin.password,
  });
  try {
    return await use(nc);
  } finally {
    await nc.close();
  }
}

async function withTemporal<T>(address: string, use: (client: TemporalClient) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await use(new TemporalClient({ connection }));
  } finally {
    await connection.close();
  }
}

async function expectAllGone(infra: Infrastructure, ports: number[]): Promise<void> {
  for (const pid of Object.values(infra.pids)) expect(await isAlive(pid)).toBe(false);
  for (const port of ports) expect(await isPortFree(port)).toBe(true);
}

describe('native infrastructure (ephemeral)', () => {
  let dir: string;
  let infra: Infrastructure | undefined;

  beforeAll(async () => {
    dir = await tempDir();
    infra = await startInfrastructure({ dataDir: dir, ephemeral: true, mode: 'native' });
  });

  afterAll(async () => {
    await infra?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const endpoints = (): InfraEndpoints => {
    if (!infra) throw new Error('infrastructure did not start');
    return infra.endpoints;
  };

  it('runs natively with one live process per component', async () => {
    expect(infra?.mode).toBe('native');
    const pids = Object.values(infra?.pids ?? {});
    expect(pids).toHaveLength(5);
    for (const pid of pids) expect(await isAlive(pid)).toBe(true);
  });

  it('PostgreSQL: the application role creates, writes and reads a table', async () => {
    const rows = await withPg(endpoints().postgres.url, async (client) => {
      await client.query('CREATE TABLE harness_check (id int PRIMARY KEY, name text NOT NULL)');
      await client.query("INSERT INTO harness_check VALUES (1, 'one'), (2, 'two')");
      return (await client.query<{ name: string }>('SELECT name FROM harness_check ORDER BY id')).rows;
    });
    expect(rows.map((row) => row.name)).toEqual(['one', 'two']);
  });

  it('PostgreSQL: refuses a wrong password', async () => {
    const url = new URL(endpoints().postgres.url);
    url.password = 'wrong';
    await expect(withPg(url.toString(), (client) => client.query('SELECT 1'))).rejects.toThrow(
      /password authentication failed/,
    );
  });

  it('NATS: JetStream stores a message and a durable consumer receives it', async () => {
    const received = await withNats(endpoints().nats, async (nc) => {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: 'HARNESS', subjects: ['harness.>'] });
      const ack = await nc.jetstream().publish('harness.hello', new TextEncoder().encode('hello jetstream'));
      expect(ack.stream).toBe('HARNESS');
      await jsm.consumers.add('HARNESS', { durable_name: 'harness', ack_policy: AckPolicy.Explicit });
      const consumer = await nc.jetstream().consumers.get('HARNESS', 'harness');
      const message = await consumer.next({ expires: 5_000 });
      message?.ack();
      return message?.string();
    });
    expect(received).toBe('hello jetstream');
  });

  it('NATS: refuses a client without credentials; its users and passwords are readable by their owner only', async () => {
    await expect(connect({ servers: endpoints().nats.url, reconnect: false })).rejects.toThrow(
      /Authorization Violation/,
    );
    for (const file of ['auth.conf', 'credentials.json'])
      expect([file, (await stat(join(dir, 'nats', file))).mode & 0o777]).toEqual([file, 0o600]);
    const config = await readFile(join(dir, 'nats', 'auth.conf'), 'utf8');
    expect(config).toContain(`password: "${endpoints().nats.services.deployer.password}"`);
  });

  it('Temporal: describes the default namespace', async () => {
    const connection = await Connection.connect({ address: endpoints().temporal.address });
    try {
      const answer = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(answer.namespaceInfo?.name).toBe('default');
    } finally {
      await connection.close();
    }
  });

  it('PowerDNS: creates a zone, lists it and answers DNS queries for it', async () => {
    const created = await pdns(endpoints(), 'POST', '/zones', {
      name: 'harness.test.',
      kind: 'Native',
      nameservers: ['ns1.harness.test.'],
      rrsets: [
        {
          name: 'www.harness.test.',
          type: 'A',
          ttl: 60,
          records: [{ content: '192.0.2.10', disabled: false }],
        },
      ],
    });
    expect(created.status).toBe(201);
    const list = (await (await pdns(endpoints(), 'GET', '/zones')).json()) as Array<{ name: string }>;
    expect(list.map((zone) => zone.name)).toContain('harness.test.');

    const resolver = new Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([`127.0.0.1:${endpoints().powerdns.dnsPort}`]);
    expect(await resolver.resolve4('www.harness.test')).toEqual(['192.0.2.10']);
  });

  it('PowerDNS: rejects a wrong API key', async () => {
    const response = await fetch(`${endpoints().powerdns.apiUrl}/api/v1/servers/localhost`, {
      headers: { 'X-API-Key': 'wrong' },
    });
    expect(response.status).toBe(401);
  });

  it('S3: has the bucket, and restic creates a repository in it and lists its snapshots', async () => {
    const s3 = endpoints().s3;
    expect(s3).toMatchObject({ region: 'us-east-1', bucket: 'fedops-backups' });
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await s3Ready(s3)).toBe(true);
    await restic(s3, 'probe', ['init']);
    expect(JSON.parse(await restic(s3, 'probe', ['snapshots', '--json']))).toEqual([]);
    // The repository is objects under probe/ in the bucket, on the posix backend's disk.
    expect((await stat(join(dir, 's3', 'buckets', 'fedops-backups', 'probe', 'config'))).isFile()).toBe(true);
  });

  it('S3: refuses unsigned requests with an S3 XML error', async () => {
    const s3 = endpoints().s3;
    const anonymous = await fetch(`${s3.endpoint}/${s3.bucket}`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('stop() ends every process and frees every port', async () => {
    const running = infra;
    if (!running) throw new Error('infrastructure did not start');
    const ports = portsOf(running.endpoints);
    await running.stop();
    await expectAllGone(running, ports);
    await running.stop(); // idempotent
  });
});

describe('native infrastructure (persistent)', () => {
  it('keeps data, ports and secrets across a restart', async () => {
    const dir = await tempDir();
    try {
      const first = await startInfrastructure({
        dataDir: dir,
        ephemeral: false,
        mode: 'native',
        temporalUi: false,
      });
      try {
        const e = first.endpoints;
        await withPg(e.postgres.url, (c) => c.query("CREATE TABLE kept AS SELECT 'still here' AS v"));
        await withNats(e.nats, async (nc) => {
          await (await nc.jetstreamManager()).streams.add({ name: 'KEPT', subjects: ['kept.>'] });
          await nc.jetstream().publish('kept.one', new TextEncoder().encode('kept message'));
        });
        await withTemporal(e.temporal.address, (client) =>
          client.workflow.start('harnessNeverRuns', {
            taskQueue: 'harness-nobody',
            workflowId: 'harness-kept',
          }),
        );
        expect((await pdns(e, 'POST', '/zones', { name: 'kept.test.', kind: 'Native' })).status).toBe(201);
        await restic(e.s3, 'kept', ['init']);
      } finally {
        await first.stop();
      }

      const second = await startInfrastructure({
        dataDir: dir,
        ephemeral: false,
        mode: 'native',
        temporalUi: false,
      });
      try {
        const e = second.endpoints;
        expect(e).toEqual(first.endpoints);
        const rows = await withPg(e.postgres.url, (c) => c.query<{ v: string }>('SELECT v FROM kept'));
        expect(rows.rows).toEqual([{ v: 'still here' }]);
        const info = await withNats(e.nats, async (nc) => (await nc.jetstreamManager()).streams.info('KEPT'));
        expect(info.state.messages).toBe(1);
        const description = await withTemporal(e.temporal.address, (client) =>
          client.workflow.getHandle('harness-kept').describe(),
        );
        expect(description.status.name).toBe('RUNNING');
        expect((await pdns(e, 'GET', '/zones/kept.test.')).status).toBe(200);
        expect(JSON.parse(await restic(e.s3, 'kept', ['snapshots', '--json']))).toEqual([]);
      } finally {
        await second.stop();
      }
      await expectAllGone(second, portsOf(second.endpoints));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('orphan protection', () => {
  it('kills the servers when the process that started them dies by SIGKILL', async () => {
    const dir = await tempDir();
    // A child Node process loads the harness from source (swc) and starts NATS, then is killed -9.
    const script = `
      const fs = require('node:fs');
      const swc = require('@swc/core');
      require.extensions['.ts'] = (module, filename) => {
        const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
          filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' },
        });
        module._compile(code, filename);
      };
      const { startNats } = require(${JSON.stringify(join(__dirname, 'nats.ts'))});
      startNats({ dataDir: ${JSON.stringify(dir)}, ephemeral: true }).then((nats) => {
        process.stdout.write(JSON.stringify({ pid: nats.pid, url: nats.endpoint.url }) + '\\n');
        setInterval(() => undefined, 1000);
      }, (error) => { console.error(error); process.exit(1); });
    `;
    const child = spawn(process.execPath, ['-e', script], {
      cwd: join(__dirname, '../../../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let serverPid: number | undefined;
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`child exited early with ${String(code)}`)));
      });
      const { pid, url } = JSON.parse(line) as { pid: number; url: string };
      serverPid = pid;
      expect(await isAlive(pid)).toBe(true);
      child.kill('SIGKILL');
      await waitFor(async () => !(await isAlive(pid)), {
        description: `nats-server ${pid} to die with its parent`,
        timeoutMs: 5_000,
      });
      await waitFor(() => isPortFree(Number(new URL(url).port)), {
        description: 'the NATS port to be free',
        timeoutMs: 5_000,
      });
    } finally {
      child.kill('SIGKILL');
      if (serverPid !== undefined && (await isAlive(serverPid))) process.kill(serverPid, 'SIGKILL'); // the failure case
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('jest global setup', () => {
  it('exports the shared infrastructure to test files', async () => {
    const infra = testInfra();
    expect(process.env['FEDOPS_TEST_PG_URL']).toBe(infra.postgres.url);
    expect(process.env['FEDOPS_TEST_NATS_URL']).toBe(infra.nats.url);
    expect(process.env['FEDOPS_TEST_NATS_USER']).toBe(infra.nats.admin.user);
    expect(process.env['FEDOPS_TEST_NATS_PASSWORD']).toBe(infra.nats.admin.password);
    expect(process.env['FEDOPS_TEST_TEMPORAL_ADDRESS']).toBe(infra.temporal.address);
    expect(process.env['FEDOPS_TEST_PDNS_DNS_PORT']).toBe(String(infra.powerdns.dnsPort));
    const response = await fetch(`${infra.powerdns.apiUrl}/api/v1/servers/localhost`, {
      headers: { 'X-API-Key': infra.powerdns.apiKey },
    });
    expect(response.status).toBe(200);
    expect(await s3Ready(infra.s3)).toBe(true);
  });

  it('creates a fresh database per call, usable and droppable', async () => {
    const a = await createTestDatabase('harness spec');
    const b = await createTestDatabase('harness spec');
    expect(a).not.toBe(b);
    try {
      const name = await withPg(a, async (client) => {
        await client.query('CREATE TABLE only_here (x int)');
        return (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db;
      });
      expect(a.endsWith(`/${name}`)).toBe(true);
      const tables = await withPg(b, (client) =>
        client.query("SELECT 1 FROM pg_tables WHERE tablename = 'only_here'"),
      );
      expect(tables.rowCount).toBe(0);
    } finally {
      await dropTestDatabase(a);
      await dropTestDatabase(b);
    }
    await expect(withPg(a, (client) => client.query('SELECT 1'))).rejects.toThrow(/does not exist/);
  });
});

interface HeldPort {
  readonly port: number;
  /** Closes the listener and every connection a probe opened to it. */
  release(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1 (as another process grabbing "our" port would). */
async function holdPort(): Promise<HeldPort> {
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    port: address.port,
    release: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A picker whose first answer puts `held` at `position`: the port is taken after it was chosen. */
function pickerHanding(held: number, position: number): PortPicker {
  let first = true;
  return async (count) => {
    const fresh = (await freePorts(count + 1)).filter((port) => port !== held).slice(0, count);
    if (first) fresh[position] = held;
    first = false;
    return fresh;
  };
}

describe('ports taken between choosing and binding', () => {
  it('starts each component on other ports when a port it chose is taken before its server binds it, and says why', async () => {
    const dir = await tempDir();
    const notices: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      notices.push(String(chunk));
      return true;
    });
    // postgres' only port; NATS' monitor port; Temporal's UI port; PowerDNS' API port (its webserver
    // only logs the failure and keeps running: the log is what tells); versitygw's only port.
    const held = await Promise.all([holdPort(), holdPort(), holdPort(), holdPort(), holdPort()]);
    const [pg, nats, temporal, pdns, s3] = held.map((h) => h.port) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const started: Array<RunningComponent<unknown>> = [];
    const keep = <T extends RunningComponent<unknown>>(component: T): T => {
      started.push(component);
      return component;
    };
    try {
      const [postgres, natsServer, temporalServer, powerdns, s3Server] = await Promise.all([
        startPostgres({ dataDir: join(dir, 'pg'), ephemeral: true, portPicker: pickerHanding(pg, 0) }).then(
          keep,
        ),
        startNats({ dataDir: join(dir, 'nats'), ephemeral: true, portPicker: pickerHanding(nats, 1) }).then(
          keep,
        ),
        startTemporal({
          dataDir: join(dir, 'temporal'),
          ephemeral: true,
          headless: false,
          portPicker: pickerHanding(temporal, 1),
        }).then(keep),
        startPowerDns({
          dataDir: join(dir, 'pdns'),
          ephemeral: true,
          portPicker: pickerHanding(pdns, 0),
        }).then(keep),
        startS3({ dataDir: join(dir, 's3'), ephemeral: true, portPicker: pickerHanding(s3, 0) }).then(keep),
      ]);
      write.mockRestore();

      expect(postgres.endpoint.port).not.toBe(pg);
      expect(await withPg(postgres.endpoint.url, (c) => c.query('SELECT 1 AS one'))).toMatchObject({
        rows: [{ one: 1 }],
      });
      expect(natsServer.ports?.['monitor']).not.toBe(nats);
      expect((await fetch(`${natsServer.endpoint.monitorUrl}/healthz`)).status).toBe(200);
      expect(temporalServer.ports?.['ui']).not.toBe(temporal);
      expect(temporalServer.endpoint.uiUrl).toBe(`http://127.0.0.1:${temporalServer.ports?.['ui']}`);
      expect(powerdns.endpoint.apiUrl).not.toBe(`http://127.0.0.1:${pdns}`);
      expect(await pdnsServerInfo(powerdns.endpoint)).toBe(true);
      expect(s3Server.endpoint.endpoint).not.toBe(`http://127.0.0.1:${s3}`);
      expect(await s3Ready(s3Server.endpoint)).toBe(true);

      const text = notices.join('');
      expect(text).toMatch(
        new RegExp(
          `\\[fedops\\] postgres: port ${pg} was taken \\(.*Address already in use\\); retrying on ${postgres.endpoint.port}`,
        ),
      );
      expect(text).toContain(`[fedops] nats: port ${nats} was taken (`);
      expect(text).toMatch(
        new RegExp(
          `nats: port ${nats} was taken \\(.*address already in use\\); retrying on ${natsServer.ports?.['monitor']}`,
        ),
      );
      expect(text).toMatch(
        new RegExp(
          `temporal: port ${temporal} was taken \\(.*UI port ${temporal}.*address already in use.*\\); retrying on ${temporalServer.ports?.['ui']}`,
        ),
      );
      expect(text).toMatch(
        new RegExp(
          `powerdns: port ${pdns} was taken \\(.*webserver.*Address already in use\\); retrying on \\d+`,
        ),
      );
      expect(text).toMatch(
        new RegExp(
          `s3: port ${s3} was taken \\(.*127\\.0\\.0\\.1:${s3}.*address already in use\\); retrying on ${s3Server.ports?.['s3']}`,
        ),
      );
    } finally {
      write.mockRestore();
      await Promise.all(started.map((component) => component.stop()));
      await Promise.all(held.map((h) => h.release()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not move an explicitly requested port: it fails naming the port and what holds it', async () => {
    const dir = await tempDir();
    const held = await holdPort();
    const { port } = held;
    try {
      await expect(startNats({ dataDir: join(dir, 'nats'), ephemeral: true, port })).rejects.toThrow(
        new RegExp(
          `nats cannot start: requested port ${port} is already in use \\(held by .* \\(pid ${process.pid}\\)\\)`,
        ),
      );
      await expect(startOidcIssuer({ dataDir: join(dir, 'oidc'), port })).rejects.toThrow(
        new RegExp(
          `oidc-issuer cannot start: requested port ${port} is already in use \\(held by .* \\(pid ${process.pid}\\)\\)`,
        ),
      );
    } finally {
      await held.release();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
