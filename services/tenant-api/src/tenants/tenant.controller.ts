import { Body, Controller, Delete, Get, Headers, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FedopsError } from '@fedops/domain';
import { CurrentPrincipal, Roles, type Principal } from '../auth';
import { parseCreateTenantRequest, type TenantView } from './tenant.dto';
import { TenantService } from './tenant.service';
import {
  ApiAuthenticated,
  ApiJsonBody,
  ApiJsonResponse,
  ApiProblemResponses,
} from '../openapi/api-docs.decorators';
import { TENANT_ID_PARAM } from '../openapi/parameters';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@Controller('v1/tenants')
@Roles('ops', 'operator')
@ApiTags('tenants')
@ApiAuthenticated('ops', 'operator')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  @Post()
  @ApiOperation({
    operationId: 'createTenant',
    summary: 'Create a tenant',
    description:
      'Validates the request against the app catalog, stores the desired state and starts the deploy ' +
      'operation. Answers at once with status `provisioning`; follow `operation.href` or `links.events`.',
  })
  @ApiJsonBody('CreateTenantRequest')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Makes a retried request safe: within the organisation, a request repeating a key gets the first answer ' +
      'back and creates nothing; the same key with a different request is answered with 422.',
    schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
  })
  @ApiJsonResponse(202, 'TenantView', 'The tenant was stored and its deploy operation started.', {
    Location: { description: "The tenant's URL (`links.self`).", schema: { type: 'string' } },
  })
  @ApiProblemResponses(409, 422)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TenantView> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw FedopsError.validation([
        { field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' },
      ]);
    }
    const result = await this.tenants.create(principal, parseCreateTenantRequest(body), idempotencyKey);
    res.status(result.status).setHeader('Location', result.body.links.self);
    return result.body;
  }

  @Get()
  @ApiOperation({
    operationId: 'listTenants',
    summary: 'List tenants',
    description: "Tenants of the caller's organisation; ops staff see every organisation's.",
  })
  @ApiJsonResponse(200, 'TenantList', 'The tenants, oldest first.')
  async list(@CurrentPrincipal() principal: Principal): Promise<{ items: TenantView[] }> {
    return { items: await this.tenants.list(principal) };
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getTenant', summary: 'Get a tenant' })
  @ApiParam(TENANT_ID_PARAM)
  @ApiJsonResponse(200, 'TenantView', 'The tenant.')
  @ApiProblemResponses(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TenantView> {
    return this.tenants.get(principal, id);
  }

  @Delete(':id')
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
    const result = await this.tenants.delete(principal, id);
    res.status(result.status);
    return result.body;
  }
}
