import { Module, type DynamicModule } from '@nestjs/common';
import { TaskQueue } from '@fedops/contracts';
import { JsonLogger, ServiceKitModule, workerProviders } from '@fedops/service-kit';
import type { DnsConfig } from './config/dns.config';
import { TenantZones1764284400002 } from './migrations/1764284400002-tenant-zones';
import { PowerDnsDriver } from './providers/powerdns/powerdns.driver';
import { zoneApex } from './providers/zone-apex';
import { createDnsActivities } from './records/dns.activities';
import { TenantZoneEntity } from './records/tenant-zone.entity';
import { DNS_PROVIDER, RECORD_TTL, TenantRecordsService } from './records/tenant-records.service';

@Module({})
export class AppModule {
  static register(config: DnsConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'dns',
          config,
          logger,
          database: { schema: 'dns', entities: [TenantZoneEntity], migrations: [TenantZones1764284400002] },
        }),
      ],
      providers: [
        {
          provide: DNS_PROVIDER,
          useFactory: () =>
            new PowerDnsDriver({
              apiUrl: config.powerdnsApiUrl,
              apiKey: config.powerdnsApiKey,
              serverId: config.powerdnsServerId,
              apex: zoneApex({
                nameservers: config.nameservers,
                hostmaster: config.hostmaster,
                negativeTtl: config.negativeTtl,
              }),
            }),
        },
        { provide: RECORD_TTL, useValue: config.recordTtl },
        TenantRecordsService,
        ...workerProviders({
          taskQueue: TaskQueue.dns,
          inject: [TenantRecordsService],
          activities: (records: TenantRecordsService) => createDnsActivities({ records }),
        }),
      ],
    };
  }
}
