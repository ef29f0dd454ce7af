import 'reflect-metadata';
import { bootstrapService } from '@fedops/service-kit';
import { AppModule } from './app.module';
import { readTenantApiConfig } from './config/tenant-api.config';
import { serveOpenApiDocument } from './openapi/serve-openapi';

void bootstrapService(
  'tenant-api',
  () => readTenantApiConfig(),
  (config, logger) => AppModule.register(config, logger),
  (app, config) => serveOpenApiDocument(app, config),
);
