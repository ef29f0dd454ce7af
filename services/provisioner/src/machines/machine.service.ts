import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { MachineRef, ResourceProviderKind } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { EventPublisher, JsonLogger } from '@fedops/service-kit';
import type { ResourceProviderDriver } from '../drivers/resource-provider.driver';
import { MachineEntity } from './machine.entity';

export const RESOURCE_PROVIDER_DRIVERS = Symbol('RESOURCE_PROVIDER_DRIVERS');

/** The machine inventory and its lifecycle, across resource providers. */
@Injectable()
export class MachineService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(RESOURCE_PROVIDER_DRIVERS)
    private readonly drivers: Map<ResourceProviderKind, ResourceProviderDriver>,
    private readonly events: EventPublisher,
    logger: JsonLogger,
  ) {
    this.log = logger.child('machines');
  }

  /** Idempotent: the provider finds the machine by its tenant label; the inventory row is upserted. */
  async ensure(tenantId: string, provider: ResourceProviderKind): Promise<MachineRef> {
    const provided = await this.driver(provider).ensureMachine(tenantId);
    const repo = this.dataSource.getRepository(MachineEntity);
    const existing = await repo.findOneBy({ tenantId, provider });
    const machine = existing ?? repo.create({ id: randomUUID(), tenantId, provider });
    Object.assign(machine, provided);
    await repo.save(machine);
    if (existing === null || existing.providerId !== provided.providerId) {
      this.log.info('machine created', {
        tenantId,
        provider,
        machineId: machine.id,
        address: machine.address,
      });
    }
    await this.events.publish(
      tenantId,
      'machine.created',
      `machine/${machine.id}/created/${machine.providerId}`,
      {
        machineId: machine.id,
        provider,
        address: machine.address,
      },
    );
    return toRef(machine);
  }

  async destroy(tenantId: string, provider: ResourceProviderKind): Promise<boolean> {
    const destroyed = await this.driver(provider).destroyMachine(tenantId);
    const repo = this.dataSource.getRepository(MachineEntity);
    const row = await repo.findOneBy({ tenantId, provider });
    if (row !== null) await repo.remove(row);
    if (destroyed || row !== null) {
      this.log.info('machine destroyed', { tenantId, provider });
      await this.events.publish(tenantId, 'machine.destroyed', `machine/${tenantId}/${provider}/destroyed`, {
        provider,
        ...(row !== null ? { machineId: row.id } : {}),
      });
    }
    return destroyed || row !== null;
  }

  async list(): Promise<MachineRef[]> {
    const rows = await this.dataSource.getRepository(MachineEntity).find({ order: { createdAt: 'ASC' } });
    return rows.map(toRef);
  }

  private driver(kind: ResourceProviderKind): ResourceProviderDriver {
    const driver = this.drivers.get(kind);
    if (driver === undefined)
      throw new FedopsError(FedopsErrorCode.ValidationFailed, `No resource provider "${kind}" is configured`);
    return driver;
  }
}

export function toRef(m: MachineEntity): MachineRef {
  return {
    machineId: m.id,
    tenantId: m.tenantId,
    provider: m.provider,
    address: m.address,
    sshPort: m.sshPort,
    sshUser: m.sshUser,
    sshHostKey: m.sshHostKey,
    fsRoot: m.fsRoot,
    activation: m.activation,
  };
}
