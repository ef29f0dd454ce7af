import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { connect, type NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import type { CommonConfig } from './config/config';
import { openServiceDataSource, type ServiceDataSourceOptions } from './database/data-source';
import { EventPublisher, ensureEventsStream } from './events/event-publisher';
import { HealthController } from './health/health.controller';
import { ReadinessRegistry } from './health/readiness.registry';
import { JsonLogger } from './logging/json-logger';
import { natsConnectionOptions } from './nats/nats-connection';
import { ServiceMetrics } from './metrics/service-metrics';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const COMMON_CONFIG = Symbol('COMMON_CONFIG');

export interface ServiceKitOptions {
  service: string;
  config: CommonConfig;
  logger: JsonLogger;
  database: Pick<ServiceDataSourceOptions, 'schema' | 'entities' | 'migrations'>;
}

@Injectable()
class ServiceKitLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    readiness: ReadinessRegistry,
  ) {
    readiness.add({
      name: 'postgres',
      check: async () => {
        await this.dataSource.query('SELECT 1');
      },
    });
    readiness.add({
      name: 'nats',
      check: async () => {
        if (this.nats.isClosed()) throw new Error('connection closed');
        await this.nats.flush();
      },
    });
  }

  // Runs after every module's beforeApplicationShutdown, so workers have drained by now.
  async onApplicationShutdown(): Promise<void> {
    await this.nats.drain().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * What every fedops service has: JSON logs, Prometheus metrics, /healthz /readyz /metrics, its own
 * PostgreSQL schema with migrations run at start, and a NATS connection with the events stream.
 */
@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceKitOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: COMMON_CONFIG, useValue: options.config },
      { provide: JsonLogger, useValue: options.logger },
      { provide: ServiceMetrics, useValue: new ServiceMetrics(options.service) },
      ReadinessRegistry,
      {
        provide: DataSource,
        useFactory: () => openServiceDataSource({ url: options.config.databaseUrl, ...options.database }),
      },
      {
        provide: NATS_CONNECTION,
        useFactory: async () => {
          const nc = await connect(natsConnectionOptions(options.config, options.service));
          await ensureEventsStream(nc);
          return nc;
        },
      },
      {
        provide: EventPublisher,
        useFactory: (nc: NatsConnection) => new EventPublisher(nc, options.service),
        inject: [NATS_CONNECTION],
      },
      ServiceKitLifecycle,
    ];
    return {
      module: ServiceKitModule,
      global: true,
      controllers: [HealthController],
      providers,
      exports: [
        COMMON_CONFIG,
        JsonLogger,
        ServiceMetrics,
        ReadinessRegistry,
        DataSource,
        NATS_CONNECTION,
        EventPublisher,
      ],
    };
  }
}
