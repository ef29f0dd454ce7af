import type { INestApplication } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import type { TenantApiConfig } from '../config/tenant-api.config';
import { buildOpenApiDocument } from './openapi-document';

/** Where the document is served. Public: Swagger mounts these on the HTTP adapter, outside Nest's guards. */
export const OPENAPI_ROUTES = { ui: '/docs', json: '/openapi.json', yaml: '/openapi.yaml' } as const;

/**
 * Serves the OpenAPI document without a token: GET /openapi.json (and /openapi.yaml), and the Swagger
 * UI at /docs (assets from swagger-ui-dist, no CDN). `servers` names FEDOPS_PUBLIC_URL when set.
 */
export function serveOpenApiDocument(
  app: INestApplication,
  config: Pick<TenantApiConfig, 'publicUrl'>,
): void {
  const document = buildOpenApiDocument(app, config.publicUrl !== '' ? { serverUrl: config.publicUrl } : {});
  SwaggerModule.setup(OPENAPI_ROUTES.ui.slice(1), app, document, {
    jsonDocumentUrl: OPENAPI_ROUTES.json.slice(1),
    yamlDocumentUrl: OPENAPI_ROUTES.yaml.slice(1),
  });
}
