import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from '../app.module';
import { BEARER_SCHEME } from './api-docs.decorators';
import { SCHEMAS } from './schemas';

export interface OpenApiDocumentOptions {
  /** Base URL of the API for `servers`; the committed document uses a relative `/`. */
  serverUrl?: string;
}

/** tenant-api's version, from its package.json (two levels above both src/openapi and dist/openapi). */
export function apiVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string')
    return pkg.version;
  throw new Error('services/tenant-api/package.json has no version');
}

/**
 * The OpenAPI 3.1 document of the public API, from the controllers' decorators and the explicit schemas
 * in ./schemas. Only AppModule's own controllers are included (not /healthz, /readyz, /metrics).
 */
export function buildOpenApiDocument(
  app: INestApplication,
  options: OpenApiDocumentOptions = {},
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('fedops')
    .setDescription(
      'Run fediverse apps for many tenants. Operators (role `operator`) manage the tenants of their ' +
        'organisation; provider staff (role `ops`) see every organisation and the fleet, and manage ' +
        'organisations, their members and quotas. Every route needs an OIDC access token or an API token ' +
        '(`Authorization: Bearer <token>`); `x-fedops-roles` and `x-fedops-scopes` name what a route needs ' +
        '(a route without scopes takes no API token). Errors are RFC 9457 problem details ' +
        '(`application/problem+json`).',
    )
    .setVersion(apiVersion())
    .addServer(options.serverUrl ?? '/')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description:
          'OIDC access token (JWT) of the configured issuer, or an API token `fdo_<id>_<secret>` (POST /v1/tokens)',
      },
      BEARER_SCHEME,
    )
    .addTag('tenants', 'Tenants: a domain with apps on a machine')
    .addTag('operations', 'Progress of the workflows that deploy and destroy tenants')
    .addTag('catalog', 'The apps operators can pick and their options')
    .addTag('fleet', 'Machines (ops staff only)')
    .addTag('organisations', 'Organisations, their members (operators) and quotas; managed by ops staff')
    .addTag('tokens', 'API tokens for automation: scoped, expiring, revocable')
    .build();
  const document = SwaggerModule.createDocument(app, config, { include: [AppModule] });
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...SCHEMAS } };
  return document;
}

/** JSON with object keys sorted at every level, 2-space indent and a final newline: stable to diff. */
export function serialiseDocument(document: OpenAPIObject): string {
  return JSON.stringify(sortKeys(document), null, 2) + '\n';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
