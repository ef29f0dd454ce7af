import { Controller, Get, Inject } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { TimeoutError, firstValueFrom, timeout } from 'rxjs';
import { FLEET_MACHINES_LIST_SUBJECT, type MachineRef } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode, describeError } from '@fedops/domain';
import { Roles, Scopes } from '../auth';
import { ApiAuthenticated, ApiJsonResponse, ApiProblemResponses } from '../openapi/api-docs.decorators';

export const PROVISIONER_RPC = Symbol('PROVISIONER_RPC');

/** Ops staff watch the fleet: the provisioner's machine inventory, asked over NATS request/reply. */
@Controller('v1/machines')
@Roles('ops')
@ApiTags('fleet')
@ApiAuthenticated('ops')
export class FleetController {
  constructor(@Inject(PROVISIONER_RPC) private readonly provisioner: ClientProxy) {}

  @Get()
  @Scopes('fleet:read')
  @ApiOperation({
    operationId: 'listMachines',
    summary: "List the fleet's machines",
    description: "The provisioner's machine inventory. Ops staff only.",
  })
  @ApiJsonResponse(200, 'MachineList', 'The machines.')
  @ApiProblemResponses(502)
  async list(): Promise<{ items: MachineRef[] }> {
    try {
      const machines = await firstValueFrom(
        this.provisioner.send<MachineRef[]>(FLEET_MACHINES_LIST_SUBJECT, {}).pipe(timeout(5_000)),
      );
      return { items: machines };
    } catch (err) {
      const what =
        err instanceof TimeoutError
          ? 'did not answer within 5 s'
          : `answered with an error: ${describeError(err)}`;
      throw new FedopsError(FedopsErrorCode.ProviderFailed, `The provisioner ${what}`, { cause: err });
    }
  }
}
