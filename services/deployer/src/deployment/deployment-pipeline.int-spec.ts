import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AppSelection, DeployConfigurationInput } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { startLocalMachine, standinPids, type LocalMachine } from '../ssh/local-sshd.test';
import { DeploymentPipeline } from './deployment-pipeline';

/** GET with a Host header (global fetch drops it). */
function get(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Host: host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

describe('DeploymentPipeline against a real sshd (sandbox stand-in activation)', () => {
  const machines: LocalMachine[] = [];
  const workDirs: string[] = [];
  const servers: http.Server[] = [];

  async function setup(tenantId: string): Promise<{
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
    }
    for (const d of workDirs) rmSync(d, { recursive: true, force: true });
  });

  it('deploys Mastodon, answers its health check, and activates a changed option as generation 2', async () => {
    const { m, pipeline, input } = await setup('tenant-a');
    const mastodon: AppSelection = { app: 'mastodon', options: { singleUserMode: false } };

    const first = await pipeline.deploy(input([mastodon]));
    const url = `http://${m.machine.address}:3000/health`;
    expect(first).toMatchObject({ generation: 1, apps: [{ app: 'mastodon', healthy: true, url }] });
    expect(first.configHash).toMatch(/^[0-9a-f]{64}$/);
    const health = await get(url, 'social.example.org');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({
      app: 'mastodon',
      fqdn: 'social.example.org',
      generation: 1,
      status: 'ok',
    });
    expect((await get(`http://${m.machine.address}:3000/`, 'social.example.org')).body).toContain(
      'Mastodon on social.example.org',
    );
    expect(generationOf(m)).toBe('system-1-link');
    const staged = path.join(m.machine.fsRoot, 'etc/fedops/staging', first.configHash);
    expect(readFileSync(path.join(staged, 'apps/mastodon.nix'), 'utf8')).toContain(
      'SINGLE_USER_MODE = "false";',
    );

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
      /gotosocial .*HTTP 503.*rolled back to generation 1 \(healthy\)/,
    );

    expect(generationOf(m)).toBe('system-1-link');
    expect(existsSync(path.join(m.machine.fsRoot, 'nix/var/nix/profiles/system-2-link'))).toBe(true);
    const health = await get(`http://${m.machine.address}:3000/health`, 'social.example.org');
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
      .deploy(input([{ app: 'mastodon', options: { maxTootChars: 'many' } }]))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: FedopsErrorCode.ValidationFailed });
    expect(existsSync(path.join(m.machine.fsRoot, 'nix'))).toBe(false);
  });
});
