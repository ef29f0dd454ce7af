import { Body, Controller, Delete, Get, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, sendAnswer } from '../idempotency/idempotent-requests';
import { CurrentPrincipal, Roles, Scopes, type Principal } from '../auth';
import { parseCreateTenantRequest, type TenantView } from './tenant.dto';
import { TENANT_LIST_FILTERS, TenantService } from './tenant.service';
import type { Page } from '../pagination/list-query';
import {
  ApiAuthenticated,
  ApiJsonBody,
  ApiJsonResponse,
  ApiListQuery,
  ApiProblemResponses,
} from '../openapi/api-docs.decorators';
import { TENANT_ID_PARAM } from '../openapi/parameters';

@Controller('v1/tenants')
@Roles('ops', 'operator')
@ApiTags('tenants')
@ApiAuthenticated('ops', 'operator')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  @Post()
  @Scopes('tenants:write')
  @ApiOperation({
    operationId: 'createTenant',
    summary: 'Create a tenant',
    description:
      'Validates the request against the app catalog, places its machine (a provider and location with room ' +
      'for the plan, `placement` of the answer says which and why), stores the desired state and starts the ' +
      'deploy operation. Answers at once with status `provisioning`; follow `operation.href` or ' +
      '`links.events`. No room for the plan anywhere is a 409 before anything is stored.',
  })
  @ApiJsonBody('CreateTenantRequest')
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiJsonResponse(202, 'TenantView', 'The tenant was stored and its deploy operation started.', {
    Location: { description: "The tenant's URL (`links.self`).", schema: { type: 'string' } },
  })
  @ApiProblemResponses(409, 422, 502)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TenantView> {
    return sendAnswer(
      res,
      await this.tenants.create(principal, parseCreateTenantRequest(body), idempotencyKey),
    );
  }

  @Get()
  @Scopes('tenants:read')
  @ApiOperation({
    operationId: 'listTenants',
    summary: 'List tenants',
    description: "Tenants of the caller's organisation; ops staff see every organisation's.",
  })
  @ApiListQuery(TENANT_LIST_FILTERS)
  @ApiJsonResponse(200, 'TenantList', 'A page of tenants, oldest first.')
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<Page<TenantView>> {
    return this.tenants.list(principal, query);
  }

  @Get(':id')
  @Scopes('tenants:read')
  @ApiOperation({ operationId: 'getTenant', summary: 'Get a tenant' })
  @ApiParam(TENANT_ID_PARAM)
  @ApiJsonResponse(200, 'TenantView', 'The tenant.')
  @ApiProblemResponses(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TenantView> {
    return this.tenants.get(principal, id);
  }

  @Delete(':id')
  @Scopes('tenants:write')
  @ApiOperation({
    operationId: 'deleteTenant',
    summary: 'Delete a tenant',
    description:
      'Cancels a deploy still in flight and starts the destroy operation, which removes the machine, DNS ' +
      'records, deployment and backups. Repeating the request is safe.',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiJsonResponse(202, 'TenantView', 'The destroy operation started (or runs already); status `deleting`.')
  @ApiJsonResponse(200, 'TenantView', 'The tenant was deleted already.')
  @ApiProblemResponses(404)
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TenantView> {
    return sendAnswer(res, await this.tenants.delete(principal, id));
  }
}
