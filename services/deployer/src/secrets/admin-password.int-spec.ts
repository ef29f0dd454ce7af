import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { requireApp, requireSecret } from '@fedops/catalog';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger, SecretBox, openServiceDataSource } from '@fedops/service-kit';
import { createTestDatabase, dropTestDatabase } from '@fedops/testing';
import { TenantSecrets1765200000000 } from '../migrations/1765200000000-tenant-secrets';
import { AdminPasswordReveals1765300000000 } from '../migrations/1765300000000-admin-password-reveals';
import { AdminPasswordController } from './admin-password.controller';
import { TenantSecretEntity } from './tenant-secret.entity';
import { TenantSecretService, secretKey } from './tenant-secret.service';

/**
 * Revealing an app's first admin password on real PostgreSQL: once, to exactly one of concurrent
 * callers, and never before the tenant's first deployment stored it.
 */
describe('TenantSecretService.revealAdminPassword and its NATS handler', () => {
  let databaseUrl: string;
  let dataSource: DataSource;
  let secrets: TenantSecretService;
  const logs: string[] = [];
  let controller: AdminPasswordController;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('deployer_admin_password');
    dataSource = await openServiceDataSource({
      url: databaseUrl,
      schema: 'deployer',
      entities: [TenantSecretEntity],
      migrations: [TenantSecrets1765200000000, AdminPasswordReveals1765300000000],
    });
    secrets = new TenantSecretService(dataSource, new SecretBox(SecretBox.generateKey()));
    controller = new AdminPasswordController(
      secrets,
      new JsonLogger('deployer', 'debug', (line) => logs.push(line)),
    );
  });

  afterAll(async () => {
    await dataSource?.destroy();
    if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
  });

  /** A tenant whose deployment stored forgejo's secrets (as the pipeline does); the admin password. */
  async function deployedTenant(): Promise<{ tenantId: string; password: string }> {
    const tenantId = randomUUID();
    const forgejo = requireApp('forgejo');
    const values = await secrets.valuesFor(tenantId, [
      { app: 'forgejo', secret: requireSecret(forgejo, 'admin-password') },
    ]);
    return { tenantId, password: values.get(secretKey('forgejo', 'admin-password')) ?? '' };
  }

  async function failure(promise: Promise<unknown>): Promise<FedopsError> {
    const err: unknown = await promise.then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    );
    if (err instanceof FedopsError) return err;
    throw err;
  }

  it('gives the stored password the first time, and GONE with the time of the first reveal after that', async () => {
    const { tenantId, password } = await deployedTenant();
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
    const first = await secrets.revealAdminPassword(tenantId, 'forgejo');
    expect(first.password).toBe(password);
    expect(Date.now() - Date.parse(first.revealedAt)).toBeLessThan(60_000);

    const second = await failure(secrets.revealAdminPassword(tenantId, 'forgejo'));
    expect(second.code).toBe(FedopsErrorCode.Gone);
    expect(second.message).toBe(
      `The admin credentials of forgejo were already revealed at ${first.revealedAt}; they are shown only ` +
        'once (the audit log says who asked for them)',
    );
    expect(second.details.extensions).toEqual({ revealedAt: first.revealedAt });
    expect(second.message).not.toContain(password);
  });

  it('gives the password to exactly one of eight concurrent callers; the others get GONE', async () => {
    const { tenantId, password } = await deployedTenant();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => secrets.revealAdminPassword(tenantId, 'forgejo')),
    );
    const revealed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.password] : []));
    const refused = outcomes.flatMap((o) =>
      o.status === 'rejected' && o.reason instanceof FedopsError ? [o.reason.code] : [],
    );
    expect(revealed).toEqual([password]);
    expect(refused).toEqual(Array.from({ length: 7 }, () => FedopsErrorCode.Gone));
  });

  it('keeps the value the deployments deliver: a redeploy after the reveal gets the same password', async () => {
    const { tenantId, password } = await deployedTenant();
    await secrets.revealAdminPassword(tenantId, 'forgejo');
    const again = await secrets.valuesFor(tenantId, [
      { app: 'forgejo', secret: requireSecret(requireApp('forgejo'), 'admin-password') },
    ]);
    expect(again.get(secretKey('forgejo', 'admin-password'))).toBe(password);
  });

  it('is a CONFLICT before the first deployment stored a password, and for an app without an admin', async () => {
    const notDeployed = await failure(secrets.revealAdminPassword(randomUUID(), 'forgejo'));
    expect(notDeployed.code).toBe(FedopsErrorCode.Conflict);
    expect(notDeployed.message).toMatch(/^Tenant [0-9a-f-]{36} is not deployed yet: /);

    const { tenantId } = await deployedTenant();
    const jitsi = await failure(secrets.revealAdminPassword(tenantId, 'jitsi'));
    expect([jitsi.code, jitsi.message]).toEqual([
      FedopsErrorCode.Conflict,
      'Jitsi Meet (jitsi) has no admin account',
    ]);
    // Another app's password of the same tenant was never stored: not deployed, not someone else's secret.
    expect((await failure(secrets.revealAdminPassword(tenantId, 'mastodon'))).code).toBe(
      FedopsErrorCode.Conflict,
    );
    expect((await failure(secrets.revealAdminPassword(tenantId, 'myspace'))).code).toBe(
      FedopsErrorCode.ValidationFailed,
    );
  });

  it('answers over the request/reply envelope, the password in the reply only, never in a log line', async () => {
    const { tenantId, password } = await deployedTenant();
    logs.length = 0;
    expect(await controller.reveal({ tenantId, app: 'forgejo' })).toEqual({
      ok: true,
      value: { password, revealedAt: expect.any(String) },
    });
    expect(await controller.reveal({ tenantId, app: 'forgejo' })).toEqual({
      ok: false,
      error: {
        code: FedopsErrorCode.Gone,
        message: expect.stringMatching(/^The admin credentials of forgejo were already revealed at /),
        extensions: { revealedAt: expect.any(String) },
      },
    });
    expect(await controller.reveal({ tenantId: 7 })).toEqual({
      ok: false,
      error: {
        code: FedopsErrorCode.ValidationFailed,
        message: expect.any(String),
        fields: [
          { field: 'tenantId', message: 'is required (a non-empty string)' },
          { field: 'app', message: 'is required (a non-empty string)' },
        ],
      },
    });
    expect(logs.some((l) => l.includes('admin password revealed') && l.includes(tenantId))).toBe(true);
    expect(logs.filter((l) => l.includes(password))).toEqual([]);
  });
});
