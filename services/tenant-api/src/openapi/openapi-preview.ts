import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { JsonLogger } from '@fedops/service-kit';
import { AppModule } from '../app.module';
import { readTenantApiConfig } from '../config/tenant-api.config';
import { buildOpenApiDocument } from './openapi-document';

/** docs/openapi.json at the repository root (four levels above both src/openapi and dist/openapi). */
export const OPENAPI_JSON_PATH = join(__dirname, '..', '..', '..', '..', 'docs', 'openapi.json');

/** How to regenerate the committed document; printed by the staleness checks. */
export const REGENERATE_COMMAND = 'npm run openapi';

/**
 * Placeholder configuration: in preview mode Nest resolves the module graph without instantiating
 * providers, so nothing connects to these addresses (`.invalid` names never resolve anyway).
 */
const PREVIEW_ENV: Record<string, string> = {
  FEDOPS_HTTP_PORT: '0',
  FEDOPS_DATABASE_URL: 'postgres://preview.invalid/fedops',
  FEDOPS_NATS_URL: 'nats://preview.invalid:4222',
  FEDOPS_NATS_USER: 'tenant-api',
  FEDOPS_NATS_PASSWORD: 'preview',
  FEDOPS_TEMPORAL_ADDRESS: 'preview.invalid:7233',
  FEDOPS_OIDC_ISSUER_URL: 'https://issuer.preview.invalid',
  FEDOPS_LOG_LEVEL: 'error',
};

/**
 * Builds the committed OpenAPI document without any infrastructure: the app is created with
 * `preview: true`, which scans modules and controllers but runs no provider factory (no database,
 * NATS or Temporal connection), which is all the Swagger scanner needs.
 */
export async function buildPreviewDocument(): Promise<OpenAPIObject> {
  const config = readTenantApiConfig(PREVIEW_ENV);
  const logger = new JsonLogger('tenant-api', 'error');
  const app = await NestFactory.create(AppModule.register(config, logger), { preview: true, logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
