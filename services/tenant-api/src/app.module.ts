import { DEFAULT_BACKUP_POLICY } from '@fedops/contracts';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { JsonLogger, ServiceKitModule, natsConnectionOptions } from '@fedops/service-kit';
import { AuthModule } from './auth';
import type { TenantApiConfig } from './config/tenant-api.config';
import { TenantEventsController } from './events/tenant-events.controller';
import { StreamTickets } from './events/stream-tickets';
import { ProtectedResourceModule } from './auth/protected-resource.controller';
import { AuditEntryEntity } from './audit/audit-entry.entity';
import { AuditController } from './audit/audit.controller';
import { AuditProjector } from './audit/audit-projector';
import { AuditService } from './audit/audit.service';
import { ChangeRecorderInterceptor } from './audit/change-recorder.interceptor';
import { OperationController } from './operations/operation.controller';
import { OperationEntity } from './operations/operation.entity';
import { OperationReconciler } from './operations/operation-reconciler';
import { OperationService } from './operations/operation.service';
import { DriftRecorder } from './drift/drift-recorder';
import { orchestrationProviders } from './orchestration/orchestration.providers';
import { ProblemDetailsFilter } from './problem/problem-details.filter';
import { RateLimitInterceptor } from './rate-limit/rate-limit.interceptor';
import { RateLimiter } from './rate-limit/rate-limiter';
import { CatalogController } from './catalog/catalog.controller';
import { FleetController } from './fleet/fleet.controller';
import { FleetService } from './fleet/fleet.service';
import { PROVISIONER_RPC, ProvisionerRpc } from './provisioner-rpc/provisioner-rpc';
import { ProviderController } from './providers/provider.controller';
import { ProviderService } from './providers/provider.service';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { TENANT_API_MIGRATIONS } from './migrations/tenant-api-migrations';
import { TenantController } from './tenants/tenant.controller';
import { IdempotencyKeyEntity } from './idempotency/idempotency-key.entity';
import { IdempotentRequests } from './idempotency/idempotent-requests';
import { TenantEntity } from './tenants/tenant.entity';
import { TenantService } from './tenants/tenant.service';
import { ApiTokenController } from './api-tokens/api-token.controller';
import { ApiTokenEntity } from './api-tokens/api-token.entity';
import { ApiTokenService } from './api-tokens/api-token.service';
import { DatabaseCallers } from './callers/database-callers';
import {
  OrganisationController,
  OrganisationMemberController,
} from './organisations/organisation.controller';
import { OrganisationMemberEntity } from './organisations/organisation-member.entity';
import { OrganisationSeeder } from './organisations/organisation-seed';
import { OrganisationEntity } from './organisations/organisation.entity';
import { OrganisationService } from './organisations/organisation.service';
import { QuotaService } from './quotas/quota.service';
import { AdminCredentialsController } from './admin-credentials/admin-credentials.controller';
import { AdminCredentialsService } from './admin-credentials/admin-credentials.service';
import { DeployerRpc } from './deployer-rpc/deployer-rpc';
import { BackupController } from './backups/backup.controller';
import { BackupRpc } from './backups/backup-rpc';
import { TenantBackupService } from './backups/tenant-backup.service';
import { NEW_TENANT_BACKUP_POLICY } from './tenants/tenant.service';

@Module({})
export class AppModule {
  static register(config: TenantApiConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'tenant-api',
          config,
          logger,
          database: {
            schema: 'tenant_api',
            entities: [
              TenantEntity,
              IdempotencyKeyEntity,
              OperationEntity,
              AuditEntryEntity,
              OrganisationEntity,
              OrganisationMemberEntity,
              ApiTokenEntity,
            ],
            migrations: TENANT_API_MIGRATIONS,
          },
        }),
        AuthModule.register(
          { issuerUrl: config.oidcIssuerUrl, audience: config.oidcAudience },
          DatabaseCallers,
        ),
        ProtectedResourceModule.register({ issuerUrl: config.oidcIssuerUrl, publicUrl: config.publicUrl }),
      ],
      controllers: [
        TenantController,
        TenantEventsController,
        AdminCredentialsController,
        OperationController,
        CatalogController,
        FleetController,
        ProviderController,
        AuditController,
        OrganisationController,
        OrganisationMemberController,
        ApiTokenController,
        BackupController,
      ],
      providers: [
        StreamTickets,

        ...orchestrationProviders(),
        IdempotentRequests,
        TenantService,
        OperationService,
        DriftRecorder,
        OperationReconciler,
        {
          provide: PROVISIONER_RPC,
          useFactory: () =>
            ClientProxyFactory.create({
              transport: Transport.NATS,
              options: natsConnectionOptions(config, 'tenant-api-rpc-client'),
            }),
        },
        ProvisionerRpc,
        DeployerRpc,
        BackupRpc,
        TenantBackupService,
        AdminCredentialsService,
        ProviderService,
        FleetService,
        {
          provide: NEW_TENANT_BACKUP_POLICY,
          useValue: { ...DEFAULT_BACKUP_POLICY, intervalHours: config.backupIntervalHours },
        },
        {
          provide: RateLimiter,
          useFactory: () =>
            new RateLimiter({
              quota: config.rateLimitRequests,
              windowSeconds: config.rateLimitWindowSeconds,
            }),
        },
        { provide: APP_INTERCEPTOR, useClass: RateLimitInterceptor },
        { provide: APP_INTERCEPTOR, useClass: ChangeRecorderInterceptor },
        AuditService,
        AuditProjector,
        QuotaService,
        OrganisationService,
        ApiTokenService,
        {
          provide: OrganisationSeeder,
          useFactory: (organisations: OrganisationService) =>
            new OrganisationSeeder(organisations, config.seedOrganisations),
          inject: [OrganisationService],
        },
        {
          provide: APP_FILTER,
          useFactory: (l: JsonLogger) => new ProblemDetailsFilter(l),
          inject: [JsonLogger],
        },
      ],
    };
  }
}
