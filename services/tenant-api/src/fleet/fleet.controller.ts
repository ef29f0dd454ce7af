import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { MachineCleanupResult } from '@fedops/contracts';
import { CurrentPrincipal, Roles, Scopes, type Principal } from '../auth';
import {
  ApiAuthenticated,
  ApiJsonBody,
  ApiJsonResponse,
  ApiProblemResponses,
} from '../openapi/api-docs.decorators';
import { parseMachineCleanupRequest, type MachineListView } from './fleet.dto';
import { FleetService } from './fleet.service';

/**
 * Ops staff watch the fleet: the provisioner's machine inventory and what the machine reconciler
 * found comparing it with every provider, asked over NATS request/reply; orphans go only when asked.
 */
@Controller('v1/machines')
@Roles('ops')
@ApiTags('fleet')
@ApiAuthenticated('ops')
export class FleetController {
  constructor(private readonly fleet: FleetService) {}

  @Get()
  @Scopes('fleet:read')
  @ApiOperation({
    operationId: 'listMachines',
    summary: "List the fleet's machines and the reconciler's findings",
    description:
      "Ops staff only. `items` is the provisioner's machine inventory; `reconciliation` is the last run of " +
      'the machine reconciler (a Temporal Schedule comparing the inventory with every provider): per ' +
      'provider whether it could be asked, and the findings as they stand now, `orphan` (a machine carrying ' +
      "this platform's label that the inventory does not know) or `missing` (in the inventory, gone at its " +
      'provider). Null before the first run.',
  })
  @ApiJsonResponse(200, 'MachineList', 'The machines and the last reconciliation.')
  @ApiProblemResponses(502)
  list(): Promise<MachineListView> {
    return this.fleet.list();
  }

  @Post('cleanup')
  @Scopes('fleet:write')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cleanupMachines',
    summary: 'Delete orphan machines (after a dry run)',
    description:
      'Ops staff only. Deletes the orphans of the last reconciliation at their providers, never a machine ' +
      'of the inventory: each is looked up again first, and one that is gone, lost the platform label or ' +
      'is known to the inventory by now is left alone (`skipped`, with why). `dryRun: true` deletes ' +
      'nothing and lists what would go; `dryRun` is required. May take up to two minutes; repeating it ' +
      'is safe.',
  })
  @ApiJsonBody('MachineCleanupRequest')
  @ApiJsonResponse(200, 'MachineCleanupResult', 'The orphans deleted (or, on a dry run, to be deleted).')
  @ApiProblemResponses(502)
  cleanup(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<MachineCleanupResult> {
    return this.fleet.cleanup(principal, parseMachineCleanupRequest(body));
  }
}
