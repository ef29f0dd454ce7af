import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { findApp, listApps } from '@fedops/catalog';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { Roles, Scopes } from '../auth';
import { ApiAuthenticated, ApiJsonResponse, ApiProblemResponses } from '../openapi/api-docs.decorators';
import { toCatalogAppView, type CatalogAppView } from './catalog-view';

/** The `{id}` of /v1/apps/{id}: a catalog app's id (an unknown one is a 404, not a 400). */
export const APP_ID_PARAM = {
  name: 'id',
  description: 'App id, as GET /v1/apps lists them (e.g. `mastodon`).',
  schema: { type: 'string' as const, example: 'mastodon' },
};

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
    description:
      'The apps an operator can pick in POST /v1/tenants: what each is (homepage, license, support level), ' +
      'the options it accepts (typed, with defaults, and as JSON Schema in `optionsSchema`), where it answers, ' +
      'the ports it opens, the secrets fedops generates for it (by name only) and what it needs.',
  })
  @ApiJsonResponse(200, 'CatalogAppList', 'The apps, in the catalog’s order.')
  list(): { items: CatalogAppView[] } {
    return { items: listApps().map(toCatalogAppView) };
  }

  @Get(':id')
  @Scopes('tenants:read')
  @ApiOperation({
    operationId: 'getApp',
    summary: 'Get a catalog app',
    description: 'One app of GET /v1/apps, by id.',
  })
  @ApiParam(APP_ID_PARAM)
  @ApiJsonResponse(200, 'CatalogApp', 'The app.')
  @ApiProblemResponses(404)
  get(@Param('id') id: string): CatalogAppView {
    const app = findApp(id);
    if (app === undefined)
      throw new FedopsError(
        FedopsErrorCode.NotFound,
        `App "${id}" is not in the catalog; it has: ${listApps()
          .map((a) => a.id)
          .join(', ')}`,
      );
    return toCatalogAppView(app);
  }
}
