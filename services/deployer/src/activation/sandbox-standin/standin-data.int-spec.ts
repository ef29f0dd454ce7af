import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AppSelection, DeployConfigurationInput } from '@fedops/contracts';
import { run } from '@fedops/sandbox-host';
import { openServiceDataSource, SecretBox } from '@fedops/service-kit';
import { createTestDatabase, dropTestDatabase } from '@fedops/testing';
import type { DataSource } from 'typeorm';
import { DeploymentPipeline } from '../../deployment/deployment-pipeline';
import { TenantSecrets1765200000000 } from '../../migrations/1765200000000-tenant-secrets';
import { TenantSecretEntity } from '../../secrets/tenant-secret.entity';
import { TenantSecretService } from '../../secrets/tenant-secret.service';
import { startLocalMachine, standinPids, type LocalMachine } from '@fedops/testing';

/*
 * Stand-in apps keep real data (app-servers/standin-data.js): Mastodon and Jitsi deployed by the
 * DeploymentPipeline onto a machine behind a real sshd, items written and read through the machine's
 * nginx front, checked on disk and in the machine PostgreSQL, across generations, a rollback and a
 * PostgreSQL restart.
 */

interface Listing {
  count: number;
  sha256: string;
  items: Array<{ id: number; sha256: string; size: number }>;
  consistent: boolean;
  differences?: Array<{ id: number; problem: string }>;
  stores: Record<string, { count: number; sha256: string }>;
}
interface Stored {
  id: number;
  sha256: string;
  size: number;
}
// Plain JavaScript shipped to machines; used here to stop and start the machine PostgreSQL as a unit.
const postgres = require('./app-servers/postgres.js') as {
  ensurePostgres(root: string, databases: string[], log: (m: string) => void): Promise<unknown>;
  stopPostgres(root: string, log: (m: string) => void): Promise<void>;
  postgresConnection(root: string): { host: string; port: number };
};

const DOMAIN = 'example.org';
const SOCIAL = `social.${DOMAIN}`;
const MEET = `meet.${DOMAIN}`;
const ITEMS = '/_fedops/standin/items';
const SCRIPT = path.join(__dirname, 'fedops-standin-activate.js');

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const quiet = (): void => undefined;

describe('stand-in apps keep real data through /_fedops/standin/items (files under the data path, rows in the machine PostgreSQL)', () => {
  let databaseUrl: string;
  let dataSource: DataSource;
  let m: LocalMachine;
  let workDir: string;
  let pipeline: DeploymentPipeline;
  const input = (apps: AppSelection[]): DeployConfigurationInput => ({
    tenantId: 'tenant-items',
    domain: DOMAIN,
    apps,
    machine: m.machine,
  });
  const apps = (singleUserMode: boolean): AppSelection[] => [
    { app: 'mastodon', options: { singleUserMode } },
    { app: 'jitsi', options: {} },
  ];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('deployer_standin_data');
    dataSource = await openServiceDataSource({
      url: databaseUrl,
      schema: 'deployer',
      entities: [TenantSecretEntity],
      migrations: [TenantSecrets1765200000000],
    });
    m = await startLocalMachine('tenant-items');
    workDir = mkdtempSync(path.join(tmpdir(), 'fedops-deployer-work-'));
    pipeline = new DeploymentPipeline({
      workDir,
      privateKeyFile: m.privateKeyFile,
      healthTimeoutMs: 10_000,
      secrets: new TenantSecretService(dataSource, new SecretBox(SecretBox.generateKey())),
    });
    const first = await pipeline.deploy(input(apps(false)));
    expect(first.apps.every((a) => a.healthy)).toBe(true);
  }, 120_000);

  afterAll(async () => {
    if (m !== undefined) {
      const root = m.machine.fsRoot;
      await m.stop();
      expect(standinPids(root)).toEqual([]);
    }
    if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
    await dataSource?.destroy();
    if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
  });

  /** A request through the machine's front with `host` as TLS server name and Host; the body as bytes. */
  function request(
    method: string,
    route: string,
    host: string,
    body?: Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        `https://${m.machine.address}${route}`,
        {
          method,
          headers: { Host: host, ...headers },
          agent: false,
          servername: host,
          rejectUnauthorized: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
  const json = <T>(res: { body: Buffer }): T => JSON.parse(res.body.toString('utf8')) as T;
  async function post(body: Buffer, contentType = 'application/octet-stream'): Promise<Stored> {
    const res = await request('POST', ITEMS, SOCIAL, body, { 'Content-Type': contentType });
    if (res.status !== 201) throw new Error(`POST ${ITEMS}: HTTP ${res.status}: ${res.body.toString()}`);
    return json<Stored>(res);
  }
  async function listing(): Promise<Listing> {
    const res = await request('GET', ITEMS, SOCIAL);
    if (res.status !== 200) throw new Error(`GET ${ITEMS}: HTTP ${res.status}: ${res.body.toString()}`);
    return json<Listing>(res);
  }
  const itemFile = (id: number): string =>
    path.join(m.machine.fsRoot, 'var/lib/mastodon/standin-items', String(id));
  /** psql as the cluster's superuser on the machine PostgreSQL's socket. */
  async function psql(database: string, sql: string): Promise<string[]> {
    const { host, port } = postgres.postgresConnection(m.machine.fsRoot);
    const { stdout } = await run('psql', [
      '-X',
      '-h',
      host,
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      database,
      '-At',
      '-c',
      sql,
    ]);
    return stdout.split('\n').filter((l) => l !== '');
  }
  const generation = (): string => readlinkSync(path.join(m.machine.fsRoot, 'nix/var/nix/profiles/system'));

  it('stores a JSON item full of quotes, backslashes, $ and unicode and a 200 KiB binary item as files and as rows owned by the app role, and gives both back byte-identical', async () => {
    const text = Buffer.from(
      JSON.stringify({
        note: `it's "quoted" \\ back\\slashed $1 $$ $tag$ :'b64' :id; DROP TABLE standin_items; --`,
        unicode: 'ünïcødé — 日本語 — 😀',
        nested: { backslash: '\\"', dollar: '${HOME}' },
      }),
    );
    const binary = randomBytes(200 * 1024);
    const a = await post(text, 'application/json');
    const b = await post(binary);
    expect(a).toEqual({ id: expect.any(Number), sha256: sha256(text), size: text.length });
    expect(b).toEqual({ id: a.id + 1, sha256: sha256(binary), size: binary.length });

    for (const [item, bytes] of [
      [a, text],
      [b, binary],
    ] as const) {
      const back = await request('GET', `${ITEMS}/${item.id}`, SOCIAL);
      expect(back.status).toBe(200);
      expect(back.body.equals(bytes)).toBe(true);
      expect(readFileSync(itemFile(item.id)).equals(bytes)).toBe(true);
    }
    // Only finished files: no temporary file left beside them.
    expect(readdirSync(path.dirname(itemFile(a.id))).filter((n) => !/^\d+$/.test(n))).toEqual([]);

    // The rows: the same bytes (digest over the stored bytea), in the app's database, owned by its role.
    expect(
      await psql(
        'mastodon',
        `SELECT id || ' ' || sha256 || ' ' || size || ' ' || encode(sha256(body), 'hex') FROM standin_items WHERE id IN (${a.id}, ${b.id}) ORDER BY id`,
      ),
    ).toEqual([`${a.id} ${a.sha256} ${a.size} ${a.sha256}`, `${b.id} ${b.sha256} ${b.size} ${b.sha256}`]);
    expect(
      await psql('mastodon', "SELECT tableowner FROM pg_tables WHERE tablename = 'standin_items'"),
    ).toEqual(['mastodon']);

    const list = await listing();
    expect(list).toMatchObject({ consistent: true });
    expect(list.items).toEqual(expect.arrayContaining([a, b]));
    const digest = createHash('sha256')
      .update(list.items.map((i) => `${i.id} ${i.sha256} ${i.size}\n`).join(''))
      .digest('hex');
    expect(list).toMatchObject({
      count: list.items.length,
      sha256: digest,
      stores: {
        files: { count: list.items.length, sha256: digest },
        database: { count: list.items.length, sha256: digest },
      },
    });
    const health = json<{ items: number }>(await request('GET', '/health', SOCIAL));
    expect(health.items).toBe(list.count);
  });

  it('answers 404 for the items of Jitsi, which has no data paths, and 400/413 for an empty or over-1-MiB Mastodon item', async () => {
    expect((await request('POST', ITEMS, MEET, Buffer.from('hello'))).status).toBe(404);
    expect((await request('GET', ITEMS, MEET)).status).toBe(404);
    expect(json<Record<string, unknown>>(await request('GET', '/', MEET))).not.toHaveProperty('items');
    const before = await listing();
    expect((await request('POST', ITEMS, SOCIAL, Buffer.alloc(0))).status).toBe(400);
    expect((await request('POST', ITEMS, SOCIAL, randomBytes(1024 * 1024 + 1))).status).toBe(413);
    expect(await listing()).toEqual(before);
  });

  it('keeps the items, consistent, through a new generation (a changed option) and a rollback', async () => {
    const kept = await post(Buffer.from(`kept across generations ${randomBytes(4).toString('hex')}`));
    const before = await listing();
    const from = generation();

    const next = await pipeline.deploy(input(apps(true)));
    expect(generation()).not.toBe(from);
    expect(json<{ generation: number }>(await request('GET', '/health', SOCIAL)).generation).toBe(
      next.generation,
    );
    expect(await listing()).toEqual(before);

    await run(process.execPath, [
      SCRIPT,
      '--root',
      m.machine.fsRoot,
      '--listen-address',
      m.machine.address,
      'switch',
      '--rollback',
    ]);
    expect(generation()).toBe(from);
    expect(json<{ generation: number }>(await request('GET', '/health', SOCIAL)).generation).toBe(
      Number(/system-(\d+)-link/.exec(from)?.[1]),
    );
    const after = await listing();
    expect(after).toEqual(before);
    expect(after.items).toContainEqual(kept);
  });

  it('keeps the items through a stop and start of the machine PostgreSQL, answering 503 for the database meanwhile', async () => {
    const item = await post(
      Buffer.from(`kept across a PostgreSQL restart ${randomBytes(4).toString('hex')}`),
    );
    const before = await listing();
    await postgres.stopPostgres(m.machine.fsRoot, quiet);
    try {
      const refused = await request('POST', ITEMS, SOCIAL, Buffer.from('while the database is down'));
      expect(refused.status).toBe(503);
      expect(json<{ error: string }>(refused).error).toMatch(/database mastodon is unavailable/);
      expect((await request('GET', ITEMS, SOCIAL)).status).toBe(503);
      // The file is still there to read; the app answers its health check.
      expect((await request('GET', `${ITEMS}/${item.id}`, SOCIAL)).status).toBe(200);
      expect((await request('GET', '/health', SOCIAL)).status).toBe(200);
    } finally {
      await postgres.ensurePostgres(m.machine.fsRoot, ['mastodon'], quiet);
    }
    // Nothing of the refused item was kept, in either store.
    expect(await listing()).toEqual(before);
  });

  it('says consistent: false, naming the item, when its file is changed by hand, and true again once it is restored', async () => {
    const original = Buffer.from(`to be corrupted ${randomBytes(8).toString('hex')}`);
    const item = await post(original);
    writeFileSync(itemFile(item.id), Buffer.concat([original, Buffer.from('!')]));
    try {
      const broken = await listing();
      expect(broken.consistent).toBe(false);
      expect(broken.differences).toEqual([
        expect.objectContaining({ id: item.id, problem: 'the file and the row hold different bytes' }),
      ]);
      expect(broken.stores['files']?.sha256).not.toBe(broken.stores['database']?.sha256);
    } finally {
      writeFileSync(itemFile(item.id), original);
    }
    expect(await listing()).toMatchObject({ consistent: true });
  });
});
