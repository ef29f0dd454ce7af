import { Body, Controller, Delete, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FedopsError } from '@fedops/domain';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, sendAnswer } from '../idempotency/idempotent-requests';
import { CurrentPrincipal, Roles, Scopes, type Principal } from '../auth';
import { parseCreateTenantRequest, type TenantView } from './tenant.dto';
import { parseUpdateTenantRequest } from './tenant-change';
import { TENANT_LIST_FILTERS, TenantService, type TenantChangePreview } from './tenant.service';
import type { Page } from '../pagination/list-query';
import {
  ApiAuthenticated,
  ApiJsonBody,
  ApiJsonResponse,
  ApiListQuery,
  ApiProblemResponses,
} from '../openapi/api-docs.decorators';
import { TENANT_ID_PARAM } from '../openapi/parameters';

const TENANT_ETAG_HEADER = {
  ETag: {
    description: 'The version of the tenant; send it as If-Match to change it (PATCH).',
    schema: { type: 'string' as const },
  },
};

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
  @ApiJsonResponse(200, 'TenantView', 'The tenant.', TENANT_ETAG_HEADER)
  @ApiProblemResponses(404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TenantView> {
    const { view, etag } = await this.tenants.get(principal, id);
    res.setHeader('ETag', etag);
    return view;
  }

  @Patch(':id')
  @Scopes('tenants:write')
  @ApiOperation({
    operationId: 'updateTenant',
    summary: "Change a tenant's apps",
    description:
      'Adds apps, removes apps and changes app options (`change` merges the options given into the current ' +
      'ones; `null` puts one back to its default). A running tenant gets an `update` operation that deploys ' +
      'the new configuration health-gated and puts the previous one back if it fails; its apps change when ' +
      'it succeeds. A tenant whose deploy failed gets the new apps and a new `deploy`. Removing an app that ' +
      'holds data needs it in `confirmRemoval`. Needs If-Match with the ETag from GET. With `?dryRun=true` ' +
      'every check runs the same and the answer is the diff of the rendered configuration and of the DNS ' +
      'names, with nothing started.',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiQuery({
    name: 'dryRun',
    required: false,
    description: '`true`: answer what the change would do (200 TenantChangePreview) and apply nothing.',
    schema: { type: 'string', enum: ['true', 'false'] },
  })
  @ApiHeader({
    name: 'If-Match',
    required: true,
    description: 'The ETag of the tenant as last read (GET); `*` for any version.',
    schema: { type: 'string' },
  })
  @ApiJsonBody('UpdateTenantRequest')
  @ApiJsonResponse(202, 'TenantView', 'The change was stored and its operation started.', TENANT_ETAG_HEADER)
  @ApiJsonResponse(200, 'TenantChangePreview', 'A dry run: what the change would do.')
  @ApiProblemResponses(404, 409, 412, 422, 428, 502)
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Headers('if-match') ifMatch: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TenantView | TenantChangePreview> {
    const dryRun = parseDryRun(query);
    const outcome = await this.tenants.update(principal, id, parseUpdateTenantRequest(body), ifMatch, dryRun);
    if ('preview' in outcome) {
      res.status(200);
      return outcome.preview;
    }
    res.setHeader('ETag', outcome.tagged.etag);
    return sendAnswer(res, outcome.tagged.answer);
  }

  @Post(':id/reconcile')
  @Scopes('tenants:write')
  @ApiOperation({
    operationId: 'reconcileTenant',
    summary: "Put the tenant's desired state back on its machine",
    description:
      "Starts a `reconcile` operation: the tenant's apps as they are are deployed again (health-gated, the " +
      'previous generation put back if they fail) with their DNS records. For a tenant whose machine drifted ' +
      '(`drift` on the tenant: someone ran a rebuild or a rollback on it by hand), or to repair one. Only for a ' +
      'tenant that ran once; a 409 names an operation that runs on it.',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiJsonResponse(202, 'TenantView', 'The reconcile operation started (`operation`).')
  @ApiProblemResponses(400, 404, 409)
  async reconcile(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TenantView> {
    return sendAnswer(res, await this.tenants.reconcile(principal, id, idempotencyKey));
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
  @ApiProblemResponses(400, 404, 409)
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TenantView> {
    return sendAnswer(res, await this.tenants.delete(principal, id, parseFlag(query, 'purgeBackups')));
  }
}

/** `?dryRun=true|false`, and no other query parameter. */
function parseDryRun(query: Record<string, unknown>): boolean {
  return parseFlag(query, 'dryRun');
}

/** `?<name>=true|false` as the only query parameter. */
function parseFlag(query: Record<string, unknown>, name: string): boolean {
  const errors = Object.keys(query)
    .filter((k) => k !== name)
    .map((k) => ({ field: k, message: `is not a known query parameter (${name})` }));
  const value = query[name];
  if (value !== undefined && value !== 'true' && value !== 'false') {
    errors.push({ field: name, message: 'must be true or false' });
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return value === 'true';
}
