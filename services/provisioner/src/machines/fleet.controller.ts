import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { FLEET_MACHINES_LIST_SUBJECT, type MachineRef } from '@fedops/contracts';
import { MachineService } from './machine.service';

/** NATS request/reply: the machine inventory, for ops staff watching the fleet through tenant-api. */
@Controller()
export class FleetController {
  constructor(private readonly machines: MachineService) {}

  @MessagePattern(FLEET_MACHINES_LIST_SUBJECT)
  list(): Promise<MachineRef[]> {
    return this.machines.list();
  }
}
