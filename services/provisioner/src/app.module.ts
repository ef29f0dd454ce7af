import { Module, type DynamicModule } from '@nestjs/common';
import { TaskQueue, type ResourceProviderKind } from '@fedops/contracts';
import { JsonLogger, ServiceKitModule, workerProviders } from '@fedops/service-kit';
import { SandboxHostManager } from '@fedops/sandbox-host';
import { readFileSync } from 'node:fs';
import type { ProvisionerConfig } from './config/provisioner.config';
import type { ResourceProviderDriver } from './drivers/resource-provider.driver';
import { SandboxDriver } from './drivers/sandbox/sandbox.driver';
import { FleetController } from './machines/fleet.controller';
import { MachineEntity } from './machines/machine.entity';
import { MachineService, RESOURCE_PROVIDER_DRIVERS } from './machines/machine.service';
import { createProvisionerActivities } from './machines/provisioner.activities';
import { Machines1764284400001 } from './migrations/1764284400001-machines';

@Module({})
export class AppModule {
  static register(config: ProvisionerConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'provisioner',
          config,
          logger,
          database: { schema: 'provisioner', entities: [MachineEntity], migrations: [Machines1764284400001] },
        }),
      ],
      controllers: [FleetController],
      providers: [
        {
          provide: RESOURCE_PROVIDER_DRIVERS,
          useFactory: (): Map<ResourceProviderKind, ResourceProviderDriver> => {
            const hosts = new SandboxHostManager({
              stateDir: config.sandboxStateDir,
              namePrefix: config.sandboxPrefix,
              subnet: config.sandboxSubnet,
              authorizedKeys: [readFileSync(config.sshPublicKeyFile, 'utf8').trim()],
            });
            return new Map([['sandbox', new SandboxDriver(hosts, config.sandboxBootDelayMs)]]);
          },
        },
        MachineService,
        ...workerProviders({
          taskQueue: TaskQueue.provisioner,
          inject: [MachineService],
          activities: (machines: MachineService) => createProvisionerActivities({ machines }),
        }),
      ],
    };
  }
}
