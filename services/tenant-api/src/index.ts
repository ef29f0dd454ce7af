export { AppModule } from './app.module';
export { readTenantApiConfig, tenantApiConfigSpec, type TenantApiConfig } from './config/tenant-api.config';
