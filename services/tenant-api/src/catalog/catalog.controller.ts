import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { listApps, optionSchema, type OptionSpec } from '@fedops/catalog';
import { Roles, Scopes } from '../auth';
import { ApiAuthenticated, ApiJsonResponse } from '../openapi/api-docs.decorators';

interface CatalogAppView {
  id: string;
  name: string;
  description: string;
  options: Record<string, OptionSpec>;
}

@Controller('v1/apps')
@Roles('ops', 'operator')
@ApiTags('catalog')
@ApiAuthenticated('ops', 'operator')
export class CatalogController {
  /** The apps an operator can pick, with their typed options and defaults. */
  @Get()
  @Scopes('tenants:read')
  @ApiOperation({
    operationId: 'listApps',
    summary: 'List the catalog apps',
    description: 'The apps an operator can pick in POST /v1/tenants, with the options each accepts.',
  })
  @ApiJsonResponse(200, 'CatalogAppList', 'The apps.')
  list(): { items: CatalogAppView[] } {
    return {
      items: listApps().map((a) => ({
        id: a.id,
        name: a.name,
        description: a.description,
        options: optionSchema(a),
      })),
    };
  }
}
