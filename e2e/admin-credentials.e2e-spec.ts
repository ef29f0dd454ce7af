import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECRETS_DIR, requireApp, requireSecret, secretPath } from '@fedops/catalog';
import { hostLayout } from '@fedops/sandbox-host';
import { EVENTS_STREAM, tenantEventsFilter } from '@fedops/contracts';
import { connectTestNats, startTestPlatform, waitFor, type TestPlatform } from '@fedops/testing';
import { ApiClient } from './api-client';
import { newTenant } from './factories';
import { sandboxHosts } from './sandbox-state';

/**
 * An operator reads the first admin account of a tenant's app once: after the first deployment,
 * with the password the machine's app was given, never again, never through another organisation,
 * and never in a log line, an event or the audit log (the platform's stop also scans for it).
 */

interface Tenant {
  id: string;
  domain: string;
  status: string;
  error?: string;
}
interface Credentials {
  app: string;
  username: string;
  email?: string;
  password: string;
  loginUrl: string;
}
interface Problem {
  status: number;
  code: string;
  detail: string;
  revealedAt?: string;
}
interface AuditEntry {
  actor: string;
  action: string;
  target?: string;
  result: string;
  detail: Record<string, unknown>;
}

const REVEAL_ACTION = 'POST /v1/tenants/{id}/apps/{app}/admin-credentials';

let env: TestPlatform;
let acme: ApiClient;
let tenant: Tenant;
/** What the tenant answered while it was still provisioning. */
let beforeReady: { status: number; body: Problem };
let revealed: { status: number; cacheControl: string | null; body: Credentials };

const reveal = (client: ApiClient, app: string) =>
  client.request<Credentials & Problem>('POST', `/v1/tenants/${tenant.id}/apps/${app}/admin-credentials`);

beforeAll(async () => {
  env = await startTestPlatform('admin-credentials');
  acme = new ApiClient(env.apiUrl, env.tokens.acme);
  const created = await acme.post<Tenant>(
    '/v1/tenants',
    newTenant({ apps: [{ app: 'forgejo', options: { adminUsername: 'gitadmin' } }, 'jitsi'] }),
  );
  expect(created.status).toBe(202);
  tenant = created.body;
  const early = await reveal(acme, 'forgejo');
  beforeReady = { status: early.status, body: early.body };
  await waitFor(
    async () => {
      const res = await acme.get<Tenant>(`/v1/tenants/${tenant.id}`);
      if (res.body.status === 'failed') throw new Error(`tenant failed: ${res.body.error ?? '(no error)'}`);
      return res.body.status === 'ready' ? res.body : undefined;
    },
    { description: `tenant ${tenant.id} to be ready`, timeoutMs: 240_000, intervalMs: 250 },
  );
  // Another organisation first: its refusal must not use up the one reveal.
  const foreign = await reveal(new ApiClient(env.apiUrl, env.tokens.globex), 'forgejo');
  expect([foreign.status, foreign.body.code]).toEqual([404, 'NOT_FOUND']);
  const first = await reveal(acme, 'forgejo');
  revealed = {
    status: first.status,
    cacheControl: first.headers.get('cache-control'),
    body: first.body,
  };
}, 360_000);

afterAll(async () => {
  await env?.stop();
});

/** The root folder of the tenant's sandbox machine (on this host), found by its machine id. */
async function machineRoot(): Promise<string> {
  const fleet = await acme
    .as(env.tokens.ops)
    .get<{ items: Array<{ machineId: string; tenantId: string }> }>('/v1/machines');
  const machineId = fleet.body.items.find((m) => m.tenantId === tenant.id)?.machineId;
  const host = sandboxHosts(env.dataDir).find((h) => h.label === machineId);
  if (host === undefined) throw new Error(`no sandbox machine for tenant ${tenant.id}`);
  return hostLayout(join(env.dataDir, 'sandbox'), host.name).rootDir;
}

/** Every event of a tenant in the events stream so far, as text, with its kind. */
async function eventsOfTenant(tenantId: string): Promise<Array<{ kind: string; text: string }>> {
  const nc = await connectTestNats();
  try {
    const jsm = await nc.jetstreamManager();
    const subject = tenantEventsFilter(tenantId);
    const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: subject });
    const count = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    if (count === 0) return [];
    const consumer = await nc.jetstream().consumers.get(EVENTS_STREAM, { filterSubjects: subject });
    const events: Array<{ kind: string; text: string }> = [];
    const messages = await consumer.consume({ max_messages: 500 });
    for await (const m of messages) {
      const text = m.string();
      events.push({ kind: String((JSON.parse(text) as { kind?: unknown }).kind), text });
      if (events.length >= count) break;
    }
    await messages.close();
    return events;
  } finally {
    await nc.close();
  }
}

/** Every regular file under `dir` of at most `maxBytes` (symbolic links not followed; larger files are database segments). */
function filesUnder(dir: string, maxBytes: number): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path, maxBytes);
    return entry.isFile() && lstatSync(path).size <= maxBytes ? [path] : [];
  });
}

describe('revealing the first admin account of an app', () => {
  it('is a 409 "not deployed yet" while the first deployment runs, which uses nothing up', () => {
    expect(beforeReady.status).toBe(409);
    expect(beforeReady.body).toMatchObject({
      code: 'CONFLICT',
      detail: expect.stringMatching(/is not deployed yet/),
    });
    expect(revealed.status).toBe(200);
  });

  it("answers once with the account from the tenant's options and the password the machine's app got", async () => {
    expect(revealed.cacheControl).toBe('no-store');
    expect(revealed.body).toEqual({
      app: 'forgejo',
      username: 'gitadmin',
      email: `owner@${tenant.domain}`,
      password: expect.stringMatching(/^[A-Za-z0-9]{24}$/),
      loginUrl: `https://git.${tenant.domain}/`,
    });
    const root = await machineRoot();
    const secret = requireSecret(requireApp('forgejo'), 'admin-password');
    const files = [secretPath('forgejo', secret), secretPath('forgejo', secret, 'forgejo')]
      .map((p) => join(root, p))
      .filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files)
      expect({ file, value: readFileSync(file, 'utf8') }).toEqual({
        file,
        value: revealed.body.password,
      });
  });

  it('signs the operator in to the app as its admin (Gitea, Forgejo’s upstream, on the sandbox machine)', async () => {
    const fleet = await acme
      .as(env.tokens.ops)
      .get<{ items: Array<{ tenantId: string; address: string }> }>('/v1/machines');
    const address = fleet.body.items.find((m) => m.tenantId === tenant.id)?.address;
    const port = requireApp('forgejo').endpoints.find((e) => e.kind === 'http')?.port;
    const signIn = (password: string): Promise<Response> =>
      fetch(`http://${address ?? ''}:${port ?? 0}/api/v1/user`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${revealed.body.username}:${password}`).toString('base64')}`,
        },
      });
    const res = await signIn(revealed.body.password);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ login: 'gitadmin', email: revealed.body.email, is_admin: true });
    expect((await signIn(`${revealed.body.password}x`)).status).toBe(401);
  });

  it("is on the machine in the secret files only: not in its Nix store, logs or config, nor the deployer's work folder", async () => {
    const root = await machineRoot();
    const secrets = join(root, SECRETS_DIR);
    const machine = filesUnder(root, 8 * 1024 * 1024);
    const deployer = filesUnder(join(env.dataDir, 'deployer'), 8 * 1024 * 1024);
    expect(machine.some((f) => f.startsWith(join(root, 'nix')))).toBe(true);
    const holding = [...machine, ...deployer].filter(
      (f) => !f.startsWith(`${secrets}/`) && readFileSync(f).includes(revealed.body.password),
    );
    expect(holding).toEqual([]);
  });

  it('is a 410 naming when, for the operator and ops staff alike, and shows the password to nobody again', async () => {
    for (const client of [acme, acme.as(env.tokens.ops)]) {
      const again = await reveal(client, 'forgejo');
      expect(again.status).toBe(410);
      expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(again.body).toMatchObject({
        code: 'GONE',
        detail: expect.stringMatching(/^The admin credentials of forgejo were already revealed at \S+Z; /),
        revealedAt: expect.stringMatching(/Z$/),
      });
      expect(JSON.stringify(again.body)).not.toContain(revealed.body.password);
    }
  });

  it("is a 404 for another organisation's tenant, for an app the tenant lacks, and a 409 for an app without accounts", async () => {
    const globex = await reveal(acme.as(env.tokens.globex), 'forgejo');
    expect([globex.status, globex.body.detail]).toEqual([404, `Tenant ${tenant.id} not found`]);
    const missing = await reveal(acme, 'mastodon');
    expect([missing.status, missing.body.detail]).toEqual([
      404,
      `Tenant ${tenant.id} has no app "mastodon"; its apps: forgejo, jitsi`,
    ]);
    const jitsi = await reveal(acme, 'jitsi');
    expect([jitsi.status, jitsi.body.code, jitsi.body.detail]).toEqual([
      409,
      'CONFLICT',
      'Jitsi Meet (jitsi) has no admin account: it has no accounts to sign in with',
    ]);
  });

  it('is in the audit log as who asked for which app and what they got, without the password', async () => {
    expect((await reveal(acme, 'forgejo')).status).toBe(410);
    const entries = await waitFor(
      async () => {
        const res = await acme.get<{ items: AuditEntry[] }>(
          `/v1/audit?tenant=${tenant.id}&action=${encodeURIComponent(REVEAL_ACTION)}&limit=200`,
        );
        const lines = res.body.items ?? [];
        return lines.some((l) => l.result === '200') && lines.some((l) => l.result === '410')
          ? lines
          : undefined;
      },
      { description: 'the reveal in the audit log', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(entries.filter((e) => e.result === '200')).toEqual([
      expect.objectContaining({
        actor: 'fedops-operator-acme',
        target: tenant.id,
        detail: expect.objectContaining({ path: `/v1/tenants/${tenant.id}/apps/forgejo/admin-credentials` }),
      }),
    ]);
    expect(JSON.stringify(entries)).not.toContain(revealed.body.password);
  });

  it("is in no event of the tenant (change.requested included) and no line of the services' logs", async () => {
    // change.requested is not served on the tenant's SSE stream: read the events stream itself.
    const events = await waitFor(
      async () => {
        const all = await eventsOfTenant(tenant.id);
        return all.some(
          (e) => e.kind === 'change.requested' && e.text.includes('/apps/forgejo/admin-credentials'),
        )
          ? all
          : undefined;
      },
      { description: 'the change.requested of the reveal', timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(events.filter((e) => e.text.includes(revealed.body.password)).map((e) => e.kind)).toEqual([]);

    const logs = join(env.dataDir, 'logs');
    const lines = readdirSync(logs).flatMap((f) =>
      readFileSync(join(logs, f), 'utf8')
        .split('\n')
        .map((line) => ({ file: f, line })),
    );
    expect(lines.some((l) => l.line.includes('admin credentials revealed'))).toBe(true);
    expect(lines.filter((l) => l.line.includes(revealed.body.password)).map((l) => l.file)).toEqual([]);
  });
});
