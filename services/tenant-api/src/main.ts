import 'reflect-metadata';
import { bootstrapService } from '@fedops/service-kit';
import { AppModule } from './app.module';
import { readTenantApiConfig } from './config/tenant-api.config';

void bootstrapService(
  'tenant-api',
  () => readTenantApiConfig(),
  (config, logger) => AppModule.register(config, logger),
);
