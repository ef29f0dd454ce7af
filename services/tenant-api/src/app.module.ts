import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { JsonLogger, ServiceKitModule } from '@fedops/service-kit';
import { AuthModule } from './auth';
import type { TenantApiConfig } from './config/tenant-api.config';
import { TenantEventsController } from './events/tenant-events.controller';
import { Initial1764284400000 } from './migrations/1764284400000-initial';
import { OperationController } from './operations/operation.controller';
import { orchestrationProviders } from './orchestration/orchestration.providers';
import { ProblemDetailsFilter } from './problem/problem-details.filter';
import { CatalogController } from './catalog/catalog.controller';
import { FleetController, PROVISIONER_RPC } from './fleet/fleet.controller';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { TenantController } from './tenants/tenant.controller';
import { IdempotencyKeyEntity, TenantEntity } from './tenants/tenant.entity';
import { TenantService } from './tenants/tenant.service';
import { TenantReconciler } from './orchestration/tenant-reconciler';

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
            entities: [TenantEntity, IdempotencyKeyEntity],
            migrations: [Initial1764284400000],
          },
        }),
        AuthModule.register({ issuerUrl: config.oidcIssuerUrl, audience: config.oidcAudience }),
      ],
      controllers: [
        TenantController,
        TenantEventsController,
        OperationController,
        CatalogController,
        FleetController,
      ],
      providers: [
        ...orchestrationProviders(),
        TenantService,
        TenantReconciler,
        {
          provide: PROVISIONER_RPC,
          useFactory: () =>
            ClientProxyFactory.create({
              transport: Transport.NATS,
              options: { servers: [config.natsUrl], name: 'tenant-api-rpc-client' },
            }),
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
