import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { CurrentPrincipal, Roles, type Principal } from '../auth';
import { Orchestrator, type OperationView } from '../orchestration/orchestrator';
import { TenantService } from '../tenants/tenant.service';
import { ApiAuthenticated, ApiJsonResponse, ApiProblemResponses } from '../openapi/api-docs.decorators';

const OPERATION_ID = /^tenant-([0-9a-f-]{36})-(deploy|destroy)$/;

@Controller('v1/operations')
@Roles('ops', 'operator')
@ApiTags('operations')
@ApiAuthenticated('ops', 'operator')
export class OperationController {
  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly tenants: TenantService,
  ) {}

  /** A tenant workflow's status and steps; operations of other orgs' tenants are not found. */
  @Get(':id')
  @ApiOperation({ operationId: 'getOperation', summary: "Get an operation's status and steps" })
  @ApiParam({
    name: 'id',
    description: "Operation id, as in a tenant's `operation.id`.",
    schema: { type: 'string', pattern: '^tenant-[0-9a-f-]{36}-(deploy|destroy)$' },
  })
  @ApiJsonResponse(200, 'OperationView', 'The operation.')
  @ApiProblemResponses(404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<OperationView> {
    const match = OPERATION_ID.exec(id);
    const notFound = new FedopsError(FedopsErrorCode.NotFound, `Operation ${id} not found`);
    if (match === null) throw notFound;
    await this.tenants.findVisible(principal, match[1] ?? '');
    const view = await this.orchestrator.describe(id);
    if (view === undefined) throw notFound;
    return view;
  }
}
