import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type {
  DestroyMachineInput,
  EnsureMachineInput,
  MachinePlacement,
  MachineRef,
} from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { EventPublisher, JsonLogger, SecretBox } from '@fedops/service-kit';
import {
  OWNER_LABELS,
  type DriverCallContext,
  type MachineSpec,
  type ResourceProviderDriver,
} from '../drivers/resource-provider.driver';
import { ProviderRegistry } from '../providers/provider-registry.service';
import { generateHostKeyPair } from './host-keys';
import { MachineEntity } from './machine.entity';
import { MachinePlatform } from './machine-platform';

/**
 * The machine inventory and its lifecycle, across providers. A machine's row is written before its
 * provider is asked: the row's id is the label that makes the create idempotent, its host key is made
 * once and pinned, and a crash between the two leaves a row the reconciler can see.
 */
@Injectable()
export class MachineService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProviderRegistry,
    private readonly secrets: SecretBox,
    private readonly platform: MachinePlatform,
    private readonly events: EventPublisher,
    logger: JsonLogger,
  ) {
    this.log = logger.child('machines');
  }

  async ensure(input: EnsureMachineInput, ctx: DriverCallContext): Promise<MachineRef> {
    const placement = input.placement ?? (await this.legacyPlacement(input));
    const row = await this.recordMachine(input.tenantId, placement);
    // A machine made before host keys were pinned by the platform: it exists, keep it as it is.
    if (row.status === 'ready' && row.hostKeySealed === null) return toRef(row);
    const { provider, driver } = await this.providers.driverFor(row.providerId);
    const plan = provider.plans.find((p) => p.name === row.plan);
    const spec: MachineSpec = {
      machineId: row.id,
      name: row.name,
      sizing: { vcpus: row.vcpus, memoryMiB: row.memoryMiB, diskGiB: row.diskGiB },
      ...(plan?.size !== undefined ? { size: plan.size } : {}),
      image: provider.image,
      location: row.location,
      ...(provider.settings['storage'] !== undefined ? { storage: provider.settings['storage'] } : {}),
      sshAuthorizedKeys: [this.platform.sshPublicKey],
      hostKey: {
        privateKey: this.secrets.open(row.hostKeySealed ?? '', row.id),
        publicKey: row.sshHostKey ?? '',
      },
      labels: {
        [OWNER_LABELS.machineId]: row.id,
        [OWNER_LABELS.tenantId]: row.tenantId,
        [OWNER_LABELS.platform]: this.platform.label,
      },
    };
    const reached = await driver.create(spec, ctx);
    const created = row.status === 'creating' || row.externalId !== reached.providerId;
    Object.assign(row, {
      externalId: reached.providerId,
      address: reached.address,
      sshPort: reached.sshPort,
      sshUser: reached.sshUser,
      sshHostKey: reached.sshHostKey,
      fsRoot: reached.fsRoot,
      activation: reached.activation,
      status: 'ready',
    });
    await this.dataSource.getRepository(MachineEntity).save(row);
    if (created) {
      this.log.info('machine created', {
        tenantId: row.tenantId,
        machineId: row.id,
        provider: provider.name,
        location: row.location,
        address: row.address,
      });
    }
    await this.events.publish(
      row.tenantId,
      'machine.created',
      `machine/${row.id}/created/${reached.providerId}`,
      {
        machineId: row.id,
        provider: row.kind,
        address: reached.address,
      },
    );
    return toRef(row);
  }

  /** Deletes one machine, or all of a tenant's; the provider is asked by id, or by label when the id was never recorded. */
  async destroy(input: DestroyMachineInput, ctx: DriverCallContext): Promise<boolean> {
    const repo = this.dataSource.getRepository(MachineEntity);
    const rows =
      input.machineId !== undefined
        ? await repo.findBy({ id: input.machineId, tenantId: input.tenantId })
        : await repo.findBy({ tenantId: input.tenantId });
    let destroyed = false;
    for (const row of rows) {
      if (row.status !== 'deleting') await repo.update(row.id, { status: 'deleting' });
      const { driver } = await this.providers.driverFor(row.providerId);
      const removed = await deleteEverywhere(driver, row, ctx);
      await repo.delete(row.id);
      destroyed = true;
      this.log.info('machine destroyed', {
        tenantId: row.tenantId,
        machineId: row.id,
        removedAtProvider: removed,
      });
      await this.events.publish(row.tenantId, 'machine.destroyed', `machine/${row.id}/destroyed`, {
        provider: row.kind,
        machineId: row.id,
      });
    }
    return destroyed;
  }

  /**
   * The tenant's ready machines, oldest first (two while it moves between providers). Finds, never
   * creates: a backup or restore must not get a new empty machine in place of a lost one.
   */
  async findForTenant(tenantId: string): Promise<MachineRef[]> {
    const rows = await this.dataSource
      .getRepository(MachineEntity)
      .find({ where: { tenantId }, order: { createdAt: 'ASC' } });
    return rows.filter((r) => r.status === 'ready').map(toRef);
  }

  async list(): Promise<MachineRef[]> {
    const rows = await this.dataSource.getRepository(MachineEntity).find({ order: { createdAt: 'ASC' } });
    return rows.filter((r) => r.status === 'ready').map(toRef);
  }

  /** Writes the machine's row (with its new host key) unless an earlier attempt did. */
  private async recordMachine(tenantId: string, placement: MachinePlacement): Promise<MachineEntity> {
    const repo = this.dataSource.getRepository(MachineEntity);
    const existing = await repo.findOneBy({ id: placement.machineId });
    if (existing !== null) {
      if (existing.tenantId !== tenantId) {
        throw new FedopsError(
          FedopsErrorCode.Conflict,
          `Machine ${placement.machineId} belongs to another tenant`,
        );
      }
      return existing;
    }
    const { provider } = await this.providers.driverFor(placement.providerId);
    const plan = provider.plans.find((p) => p.name === placement.plan);
    if (plan === undefined) {
      throw FedopsError.validation([
        {
          field: 'plan',
          message: `"${placement.plan}" is not a plan of ${provider.name}; valid: ${provider.plans.map((p) => p.name).join(', ')}`,
        },
      ]);
    }
    const hostKey = await generateHostKeyPair(`fedops-${placement.machineId.slice(0, 8)}`);
    const row = repo.create({
      id: placement.machineId,
      tenantId,
      providerId: provider.id,
      kind: provider.kind,
      externalId: null,
      name: machineName(tenantId, placement.machineId),
      location: placement.location,
      plan: plan.name,
      vcpus: plan.vcpus,
      memoryMiB: plan.memoryMiB,
      diskGiB: plan.diskGiB,
      status: 'creating',
      address: null,
      sshPort: 22,
      sshUser: 'root',
      sshHostKey: hostKey.publicKey,
      hostKeySealed: this.secrets.seal(hostKey.privateKey, placement.machineId),
      fsRoot: '/',
      activation: 'nixos-rebuild',
      placementReason: placement.reason,
    });
    // Two attempts racing (a retry while the first still runs): the first row wins, both use it.
    await repo.createQueryBuilder().insert().values(row).orIgnore().execute();
    return (await repo.findOneBy({ id: placement.machineId })) as MachineEntity;
  }

  /** Runs started before placement: the tenant's machine of that kind, or a new one on its first provider. */
  private async legacyPlacement(input: EnsureMachineInput): Promise<MachinePlacement> {
    const existing = await this.dataSource
      .getRepository(MachineEntity)
      .findOne({ where: { tenantId: input.tenantId, kind: input.provider }, order: { createdAt: 'ASC' } });
    const provider =
      existing !== null
        ? (await this.providers.driverFor(existing.providerId)).provider
        : await this.providers.firstOfKind(input.provider);
    const plan = provider.plans[0];
    return {
      machineId: existing?.id ?? randomUUID(),
      providerId: provider.id,
      providerName: provider.name,
      kind: provider.kind,
      location: existing?.location ?? provider.locations[0] ?? 'local',
      plan: existing?.plan ?? plan?.name ?? 'small',
      reason: 'run started before placement existed: the first provider of its kind',
    };
  }
}

/** Deletes the machine by its provider id, and anything else carrying its machine-id label (a lost create). */
async function deleteEverywhere(
  driver: ResourceProviderDriver,
  row: MachineEntity,
  ctx: DriverCallContext,
): Promise<boolean> {
  let removed = false;
  if (row.externalId !== null) removed = await driver.delete(row.externalId, ctx);
  const labelled = await driver.listByLabels({ [OWNER_LABELS.machineId]: row.id }, ctx);
  for (const machine of labelled) {
    removed = (await driver.delete(machine.providerId, ctx)) || removed;
  }
  return removed;
}

/** `fo-<tenant 8>-<machine 4>`: a valid host name everywhere, unique per tenant and machine. */
export function machineName(tenantId: string, machineId: string): string {
  return `fo-${tenantId.slice(0, 8)}-${machineId.slice(0, 4)}`;
}

export function toRef(m: MachineEntity): MachineRef {
  return {
    machineId: m.id,
    tenantId: m.tenantId,
    provider: m.kind,
    providerId: m.providerId,
    location: m.location,
    address: m.address ?? '',
    sshPort: m.sshPort,
    sshUser: m.sshUser,
    sshHostKey: m.sshHostKey ?? '',
    fsRoot: m.fsRoot,
    activation: m.activation,
  };
}
