import { Controller, Header, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AdminCredentialsView } from '@fedops/contracts';
import { CurrentPrincipal, Roles, Scopes, type Principal } from '../auth';
import { ApiAuthenticated, ApiJsonResponse, ApiProblemResponses } from '../openapi/api-docs.decorators';
import { TENANT_ID_PARAM } from '../openapi/parameters';
import { AdminCredentialsService } from './admin-credentials.service';

/** The `{app}` of /v1/tenants/{id}/apps/{app}/...: one of the tenant's apps. */
export const TENANT_APP_PARAM = {
  name: 'app',
  description: 'One of the tenant’s apps, by its catalog id (e.g. `forgejo`).',
  schema: { type: 'string' as const, example: 'forgejo' },
};

@Controller('v1/tenants')
@Roles('ops', 'operator')
@ApiTags('tenants')
@ApiAuthenticated('ops', 'operator')
export class AdminCredentialsController {
  constructor(private readonly credentials: AdminCredentialsService) {}

  @Post(':id/apps/:app/admin-credentials')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Scopes('tenants:write')
  @ApiOperation({
    operationId: 'revealAdminCredentials',
    summary: "Reveal the first admin account of a tenant's app, once",
    description:
      'The account the first deployment created in the app (for apps with accounts), with the password fedops ' +
      'generated for it. Shown once: every later call is a 410 saying when it was revealed (the audit log says ' +
      'by whom). Store the password, or change it in the app. It is never in an event, a log line or the Nix ' +
      'store; on the machine only the app reads it.',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiParam(TENANT_APP_PARAM)
  @ApiJsonResponse(200, 'AdminCredentials', 'The account and its password.', {
    'Cache-Control': {
      description: '`no-store`: no cache on the way keeps the password.',
      schema: { type: 'string', enum: ['no-store'] },
    },
  })
  @ApiProblemResponses(404, 409, 410, 502)
  reveal(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('app') app: string,
  ): Promise<AdminCredentialsView> {
    return this.credentials.reveal(principal, id, app);
  }
}
