import { Controller, Get, Inject } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { FLEET_MACHINES_LIST_SUBJECT, type MachineRef } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { Roles } from '../auth';

export const PROVISIONER_RPC = Symbol('PROVISIONER_RPC');

/** Ops staff watch the fleet: the provisioner's machine inventory, asked over NATS request/reply. */
@Controller('v1/machines')
@Roles('ops')
export class FleetController {
  constructor(@Inject(PROVISIONER_RPC) private readonly provisioner: ClientProxy) {}

  @Get()
  async list(): Promise<{ items: MachineRef[] }> {
    try {
      const machines = await firstValueFrom(
        this.provisioner.send<MachineRef[]>(FLEET_MACHINES_LIST_SUBJECT, {}).pipe(timeout(5_000)),
      );
      return { items: machines };
    } catch (err) {
      throw new FedopsError(FedopsErrorCode.ProviderFailed, 'The provisioner did not answer', { cause: err });
    }
  }
}
