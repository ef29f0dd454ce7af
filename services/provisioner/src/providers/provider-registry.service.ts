import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ProviderRegistration, ProviderView } from '@fedops/contracts';
import {
  FedopsError,
  FedopsErrorCode,
  PROVIDER_KIND_RULES,
  describeError,
  parseProviderRegistration,
} from '@fedops/domain';
import { JsonLogger, SecretBox } from '@fedops/service-kit';
import { deadlineCallContext } from '../drivers/call-context';
import { ProviderError } from '../drivers/provider-error';
import type { ConnectionReport, ResourceProviderDriver } from '../drivers/resource-provider.driver';
import { MachineEntity } from '../machines/machine.entity';
import type { PlacementCandidate } from '../placement/placement';
import { DRIVER_FACTORY, type DriverFactory } from './driver-factory';
import { ProviderEntity } from './provider.entity';

const CONNECTION_TEST_MS = 30_000;
const CAPACITY_MS = 10_000;

/** The built-in provider of this host's sandbox machines (tests, `npm start`). */
export const SANDBOX_PROVIDER: ProviderRegistration = {
  name: 'sandbox',
  kind: 'sandbox',
  credentials: {},
  locations: ['local'],
  plans: [
    { name: 'small', vcpus: 1, memoryMiB: 1024, diskGiB: 10 },
    { name: 'medium', vcpus: 2, memoryMiB: 4096, diskGiB: 40 },
    { name: 'large', vcpus: 4, memoryMiB: 8192, diskGiB: 80 },
  ],
  image: 'sandbox',
  settings: {},
  quotas: {},
};

/**
 * Registered resource providers: ops add them (with a connection test first), look at them, test
 * them again and remove them once they hold no machine. Credentials are sealed with the secret box,
 * bound to the provider's id, and opened only to build its driver.
 */
@Injectable()
export class ProviderRegistry {
  private readonly log;
  private readonly drivers = new Map<string, { version: number; driver: ResourceProviderDriver }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    @Inject(DRIVER_FACTORY) private readonly buildDriver: DriverFactory,
    logger: JsonLogger,
  ) {
    this.log = logger.child('providers');
  }

  async register(body: unknown): Promise<ProviderView> {
    const registration = parseProviderRegistration(body);
    const repo = this.dataSource.getRepository(ProviderEntity);
    if (await repo.existsBy({ name: registration.name })) {
      throw new FedopsError(
        FedopsErrorCode.Conflict,
        `A provider named "${registration.name}" is already registered`,
      );
    }
    const driver = this.buildDriver({
      kind: registration.kind,
      endpoint: registration.endpoint ?? null,
      credentials: registration.credentials,
      settings: registration.settings ?? {},
      image: registration.image,
      locations: registration.locations,
    });
    const report = await this.checkConnection(driver, registration);
    const id = randomUUID();
    const entity = repo.create({
      id,
      name: registration.name,
      kind: registration.kind,
      endpoint: registration.endpoint ?? null,
      credentialsSealed: this.secrets.seal(JSON.stringify(registration.credentials), id),
      credentialFields: Object.keys(registration.credentials).sort(),
      locations: registration.locations,
      plans: registration.plans,
      image: registration.image,
      settings: registration.settings ?? {},
      quotas: registration.quotas ?? {},
      status: 'active',
      lastCheck: {
        ok: true,
        at: new Date().toISOString(),
        message: 'connected',
        locations: report.locations,
      },
    });
    // The name is unique in the table too: of two concurrent registrations one gets a 409 here.
    await repo.insert(entity).catch((err: unknown) => {
      if ((err as { code?: string }).code === '23505') {
        throw new FedopsError(
          FedopsErrorCode.Conflict,
          `A provider named "${registration.name}" is already registered`,
        );
      }
      throw err;
    });
    this.log.info('provider registered', { providerId: id, name: entity.name, kind: entity.kind });
    return this.view(entity);
  }

  /** Registers the built-in sandbox provider unless a provider of that name exists. */
  async ensureSandboxProvider(): Promise<void> {
    const repo = this.dataSource.getRepository(ProviderEntity);
    if (await repo.existsBy({ name: SANDBOX_PROVIDER.name })) return;
    await this.register(SANDBOX_PROVIDER).catch(async (err: unknown) => {
      // Another provisioner replica registered it at the same moment.
      if (err instanceof FedopsError && err.code === FedopsErrorCode.Conflict) return;
      throw err;
    });
  }

  async list(): Promise<ProviderView[]> {
    const rows = await this.dataSource.getRepository(ProviderEntity).find({ order: { name: 'ASC' } });
    const usage = await this.usage();
    return rows.map((row) => this.view(row, usage.get(row.id)));
  }

  async get(ref: string): Promise<ProviderView> {
    const row = await this.find(ref);
    return this.view(row, (await this.usage(row.id)).get(row.id));
  }

  /** Runs the connection test again and records its outcome (also when it fails). */
  async test(ref: string): Promise<ProviderView> {
    const row = await this.find(ref);
    const { driver } = await this.driverFor(row.id);
    const at = new Date().toISOString();
    try {
      const report = await driver.testConnection(deadlineCallContext(CONNECTION_TEST_MS));
      row.lastCheck = { ok: true, at, message: 'connected', locations: report.locations };
    } catch (err) {
      row.lastCheck = { ok: false, at, message: curatedMessage(err), locations: [] };
    }
    await this.dataSource.getRepository(ProviderEntity).update(row.id, { lastCheck: row.lastCheck });
    return this.get(row.id);
  }

  /** Removes a provider that holds no machine; one that does gets 409 naming its machines. */
  async remove(ref: string): Promise<{ removed: string }> {
    const row = await this.find(ref);
    const machines = await this.dataSource
      .getRepository(MachineEntity)
      .find({ where: { providerId: row.id }, order: { createdAt: 'ASC' }, take: 50 });
    if (machines.length > 0) {
      const named = machines.map((m) => `${m.name} (tenant ${m.tenantId})`);
      throw new FedopsError(
        FedopsErrorCode.Conflict,
        `Provider "${row.name}" still holds ${machines.length === 50 ? '50 or more' : machines.length} machine(s): ${named.join(', ')}; move or delete those tenants first`,
        { extensions: { machines: machines.map((m) => ({ id: m.id, name: m.name, tenantId: m.tenantId })) } },
      );
    }
    await this.dataSource.getRepository(ProviderEntity).delete(row.id);
    this.drivers.delete(row.id);
    this.log.info('provider removed', { providerId: row.id, name: row.name });
    return { removed: row.id };
  }

  /** The provider's row and its driver (built once per version of the row). */
  async driverFor(providerId: string): Promise<{ provider: ProviderEntity; driver: ResourceProviderDriver }> {
    const provider = await this.dataSource.getRepository(ProviderEntity).findOneBy({ id: providerId });
    if (provider === null) {
      throw new FedopsError(FedopsErrorCode.NotFound, `Provider ${providerId} is not registered`);
    }
    const version = provider.updatedAt.getTime();
    const cached = this.drivers.get(provider.id);
    if (cached !== undefined && cached.version === version) return { provider, driver: cached.driver };
    const credentials = JSON.parse(this.secrets.open(provider.credentialsSealed, provider.id)) as Record<
      string,
      string
    >;
    const driver = this.buildDriver({
      kind: provider.kind,
      endpoint: provider.endpoint,
      credentials,
      settings: provider.settings,
      image: provider.image,
      locations: provider.locations,
    });
    this.drivers.set(provider.id, { version, driver });
    return { provider, driver };
  }

  /** The first registered provider of a kind (runs started before placement existed use it). */
  async firstOfKind(kind: ProviderEntity['kind']): Promise<ProviderEntity> {
    const row = await this.dataSource
      .getRepository(ProviderEntity)
      .findOne({ where: { kind }, order: { createdAt: 'ASC' } });
    if (row === null) throw new FedopsError(FedopsErrorCode.NotFound, `No ${kind} provider is registered`);
    return row;
  }

  /** Every provider with its usage and capacity asked just now (in parallel, each with a deadline). */
  async placementCandidates(): Promise<PlacementCandidate[]> {
    const rows = await this.dataSource.getRepository(ProviderEntity).find({ order: { name: 'ASC' } });
    const usage = await this.usage();
    return Promise.all(
      rows.map(async (row): Promise<PlacementCandidate> => {
        let capacity: PlacementCandidate['capacity'];
        try {
          const { driver } = await this.driverFor(row.id);
          capacity = await driver.capacity(deadlineCallContext(CAPACITY_MS));
        } catch (err) {
          capacity = { error: curatedMessage(err) };
        }
        return {
          id: row.id,
          name: row.name,
          kind: row.kind,
          status: row.status,
          locations: row.locations,
          plans: row.plans,
          quotas: row.quotas,
          usage: usage.get(row.id) ?? { machines: 0, vcpus: 0, memoryMiB: 0 },
          capacity,
        };
      }),
    );
  }

  private async find(ref: string): Promise<ProviderEntity> {
    const repo = this.dataSource.getRepository(ProviderEntity);
    const row = UUID.test(ref) ? await repo.findOneBy({ id: ref }) : await repo.findOneBy({ name: ref });
    if (row === null) throw new FedopsError(FedopsErrorCode.NotFound, `No provider "${ref}" is registered`);
    return row;
  }

  /** Runs the connection test of a new registration and checks its locations exist there. */
  private async checkConnection(
    driver: ResourceProviderDriver,
    registration: ProviderRegistration,
  ): Promise<ConnectionReport> {
    let report: ConnectionReport;
    try {
      report = await driver.testConnection(deadlineCallContext(CONNECTION_TEST_MS));
    } catch (err) {
      const status = err instanceof ProviderError ? err.refusal.status : undefined;
      const field = status === 401 || status === 403 ? 'credentials' : 'endpoint';
      throw new FedopsError(
        FedopsErrorCode.ValidationFailed,
        `Connection test failed: ${curatedMessage(err)}`,
        {
          cause: err,
          fields: [{ field, message: `connection test failed: ${curatedMessage(err)}` }],
        },
      );
    }
    const unknown = registration.locations.filter((l) => !report.locations.includes(l));
    if (unknown.length > 0) {
      throw FedopsError.validation(
        unknown.map((l) => ({
          field: `locations[${registration.locations.indexOf(l)}]`,
          message: `"${l}" is not offered by this provider; valid: ${report.locations.join(', ') || '(none)'}`,
        })),
      );
    }
    if (PROVIDER_KIND_RULES[registration.kind].sizeSlugs && report.sizes !== undefined) {
      const sizes = report.sizes;
      const bad = registration.plans.flatMap((p, i) =>
        p.size !== undefined && !sizes.includes(p.size) ? [{ i, size: p.size }] : [],
      );
      if (bad.length > 0) {
        throw FedopsError.validation(
          bad.map(({ i, size }) => ({
            field: `plans[${i}].size`,
            message: `"${size}" is not a size of this provider; valid: ${sizes.join(', ')}`,
          })),
        );
      }
    }
    if (report.images !== undefined && !report.images.includes(registration.image)) {
      throw FedopsError.validation([
        {
          field: 'image',
          message: `"${registration.image}" is not an image of this provider; valid: ${report.images.join(', ') || '(none)'}`,
        },
      ]);
    }
    return report;
  }

  private async usage(
    providerId?: string,
  ): Promise<Map<string, { machines: number; vcpus: number; memoryMiB: number }>> {
    const rows = (await this.dataSource.query(
      `SELECT provider_id AS id, count(*)::int AS machines, coalesce(sum(vcpus), 0)::int AS vcpus,
              coalesce(sum(memory_mib), 0)::int AS memory
         FROM machines ${providerId === undefined ? '' : 'WHERE provider_id = $1'}
        GROUP BY provider_id`,
      providerId === undefined ? [] : [providerId],
    )) as Array<{ id: string; machines: number; vcpus: number; memory: number }>;
    return new Map(rows.map((r) => [r.id, { machines: r.machines, vcpus: r.vcpus, memoryMiB: r.memory }]));
  }

  private view(
    row: ProviderEntity,
    usage: { machines: number; vcpus: number; memoryMiB: number } = { machines: 0, vcpus: 0, memoryMiB: 0 },
  ): ProviderView {
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      endpoint: row.endpoint,
      locations: row.locations,
      plans: row.plans,
      image: row.image,
      settings: row.settings,
      quotas: row.quotas,
      status: row.status,
      credentialFields: row.credentialFields,
      lastCheck: row.lastCheck,
      usage,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The provider's own words for ops; never the stack or anything the driver did not put in its message. */
function curatedMessage(err: unknown): string {
  if (err instanceof FedopsError) return err.message;
  return describeError(err);
}
