import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { parseProviderRegistration } from '@fedops/domain';
import { CurrentPrincipal, Roles, Scopes, type Principal } from '../auth';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, sendAnswer } from '../idempotency/idempotent-requests';
import {
  ApiAuthenticated,
  ApiJsonBody,
  ApiJsonResponse,
  ApiListQuery,
  ApiProblemResponses,
} from '../openapi/api-docs.decorators';
import type { Page } from '../pagination/list-query';
import { PROVIDER_REF_PATTERN, type ProviderView } from './provider.dto';
import { PROVIDER_LIST_FILTERS, ProviderService } from './provider.service';

const PROVIDER_PARAM = {
  name: 'provider',
  description: "The provider's id or its name.",
  schema: { type: 'string' as const, pattern: PROVIDER_REF_PATTERN },
};

/**
 * Resource providers (Proxmox clusters, cloud accounts, sandbox hosts) that machines are made on,
 * registered by ops staff. Credentials go in once, at registration, and never come back out.
 */
@Controller('v1/providers')
@Roles('ops')
@ApiTags('providers')
@ApiAuthenticated('ops')
export class ProviderController {
  constructor(private readonly providers: ProviderService) {}

  @Post()
  @Scopes('providers:write')
  @ApiOperation({
    operationId: 'registerProvider',
    summary: 'Register a resource provider',
    description:
      'Ops staff only. The body is checked first (400 naming every bad field), then the provisioner runs a ' +
      'connection test with the credentials (up to 30 s): a refused credential is a 400 on `credentials`, an ' +
      'unreachable endpoint a 400 on `endpoint`, and locations, sizes or an image the provider does not offer ' +
      'a 400 listing the valid ones. Credentials are sealed at rest and never shown again (the answer names ' +
      'only `credentialFields`). A retry after a 502 may find the provider registered (409): GET it by name.',
  })
  @ApiJsonBody('ProviderRegistration')
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiJsonResponse(201, 'ProviderView', 'The provider was registered after a successful connection test.', {
    Location: { description: "The provider's URL (`links.self`).", schema: { type: 'string' } },
  })
  @ApiProblemResponses(409, 422, 502)
  async register(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProviderView> {
    return sendAnswer(
      res,
      await this.providers.register(principal, parseProviderRegistration(body), idempotencyKey),
    );
  }

  @Get()
  @Scopes('providers:read')
  @ApiOperation({
    operationId: 'listProviders',
    summary: 'List the resource providers',
    description:
      'Ops staff only. With what the platform holds at each (`usage`) and the last connection test.',
  })
  @ApiListQuery(PROVIDER_LIST_FILTERS)
  @ApiJsonResponse(200, 'ProviderList', 'A page of providers, oldest first.')
  @ApiProblemResponses(502)
  list(@Query() query: Record<string, unknown>): Promise<Page<ProviderView>> {
    return this.providers.list(query);
  }

  @Get(':provider')
  @Scopes('providers:read')
  @ApiOperation({
    operationId: 'getProvider',
    summary: 'Get a resource provider',
    description: 'Ops staff only.',
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiJsonResponse(200, 'ProviderView', 'The provider.')
  @ApiProblemResponses(404, 502)
  get(@Param('provider') provider: string): Promise<ProviderView> {
    return this.providers.get(provider);
  }

  @Post(':provider/test')
  @Scopes('providers:write')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'testProvider',
    summary: "Run a provider's connection test again",
    description:
      'Ops staff only. The outcome is recorded as `lastCheck`, also when the test fails (the answer is 200 ' +
      'either way: read `lastCheck.ok`). Repeating the request is safe.',
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiJsonResponse(200, 'ProviderView', 'The provider with the outcome of the test in `lastCheck`.')
  @ApiProblemResponses(404, 502)
  test(@CurrentPrincipal() principal: Principal, @Param('provider') provider: string): Promise<ProviderView> {
    return this.providers.test(principal, provider);
  }

  @Delete(':provider')
  @Scopes('providers:write')
  @ApiOperation({
    operationId: 'removeProvider',
    summary: 'Remove a resource provider',
    description:
      'Ops staff only. Only a provider that holds no machine and where no live tenant is placed: otherwise a ' +
      '409 naming them (`machines`, `tenants`); delete those tenants first.',
  })
  @ApiParam(PROVIDER_PARAM)
  @ApiJsonResponse(200, 'ProviderView', 'The provider as it was.')
  @ApiProblemResponses(404, 409, 502)
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('provider') provider: string,
  ): Promise<ProviderView> {
    return this.providers.remove(principal, provider);
  }
}
