import { Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { MACHINE_RECONCILER_SCHEDULE_ID, RECONCILE_MACHINES_WORKFLOW, TaskQueue } from '@fedops/contracts';
import {
  JsonLogger,
  SecretBox,
  ServiceKitModule,
  WorkflowSchedule,
  workerProviders,
} from '@fedops/service-kit';
import { SandboxHostManager } from '@fedops/sandbox-host';
import { readFileSync } from 'node:fs';
import type { ProvisionerConfig } from './config/provisioner.config';
import { FleetController } from './machines/fleet.controller';
import { MachineEntity } from './machines/machine.entity';
import { MachinePlatform } from './machines/machine-platform';
import { MachineService } from './machines/machine.service';
import { createProvisionerActivities } from './machines/provisioner.activities';
import { Machines1764284400001 } from './migrations/1764284400001-machines';
import { Providers1765100000000 } from './migrations/1765100000000-providers';
import { MachineFindings1765100000001 } from './migrations/1765100000001-machine-findings';
import { PlacementController } from './placement/placement.controller';
import { MachineFindingEntity } from './reconciliation/machine-finding.entity';
import { MachineReconciler } from './reconciliation/machine-reconciler.service';
import { DRIVER_FACTORY, createDriverFactory } from './providers/driver-factory';
import { ProviderEntity } from './providers/provider.entity';
import { ProviderRegistry } from './providers/provider-registry.service';
import { ProvidersController } from './providers/providers.controller';

const PROVISIONER_CONFIG = Symbol('PROVISIONER_CONFIG');

@Module({})
export class AppModule implements OnModuleInit {
  constructor(
    @Inject(PROVISIONER_CONFIG) private readonly config: ProvisionerConfig,
    private readonly registry: ProviderRegistry,
  ) {}

  static register(config: ProvisionerConfig, logger: JsonLogger): DynamicModule {
    const platformKey = readFileSync(config.sshPublicKeyFile, 'utf8').trim();
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'provisioner',
          config,
          logger,
          database: {
            schema: 'provisioner',
            entities: [MachineEntity, ProviderEntity, MachineFindingEntity],
            migrations: [Machines1764284400001, Providers1765100000000, MachineFindings1765100000001],
          },
        }),
      ],
      controllers: [FleetController, ProvidersController, PlacementController],
      providers: [
        { provide: PROVISIONER_CONFIG, useValue: config },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secretKey) },
        { provide: MachinePlatform, useValue: new MachinePlatform(platformKey, config.platformLabel) },
        {
          provide: DRIVER_FACTORY,
          useFactory: () =>
            createDriverFactory({
              sandboxHosts: new SandboxHostManager({
                stateDir: config.sandboxStateDir,
                namePrefix: config.sandboxPrefix,
                subnet: config.sandboxSubnet,
                authorizedKeys: [platformKey],
              }),
              sandboxBootDelayMs: config.sandboxBootDelayMs,
              pollIntervalMs: config.providerPollIntervalMs,
            }),
        },
        ProviderRegistry,
        MachineService,
        MachineReconciler,
        {
          provide: WorkflowSchedule,
          inject: [JsonLogger],
          useFactory: (log: JsonLogger) =>
            new WorkflowSchedule(
              {
                temporalAddress: config.temporalAddress,
                temporalNamespace: config.temporalNamespace,
                scheduleId: MACHINE_RECONCILER_SCHEDULE_ID,
                workflowType: RECONCILE_MACHINES_WORKFLOW,
                intervalSeconds: config.machineReconcileIntervalSeconds,
                what: 'machine reconciler',
              },
              log,
            ),
        },
        ...workerProviders({
          taskQueue: TaskQueue.provisioner,
          inject: [MachineService, MachineReconciler],
          activities: (machines: MachineService, reconciler: MachineReconciler) =>
            createProvisionerActivities({ machines, reconciler }),
        }),
      ],
    };
  }

  /** Before the worker starts (on application bootstrap): activities may need the sandbox provider. */
  async onModuleInit(): Promise<void> {
    if (this.config.sandboxProvider === 'on') await this.registry.ensureSandboxProvider();
  }
}
