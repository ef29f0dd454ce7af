import { Module, type DynamicModule } from '@nestjs/common';
import { CHECK_DRIFT_WORKFLOW, DRIFT_CHECK_SCHEDULE_ID, TaskQueue } from '@fedops/contracts';
import {
  JsonLogger,
  SecretBox,
  ServiceKitModule,
  WorkflowSchedule,
  workerProviders,
} from '@fedops/service-kit';
import { smtpRelayOf, type DeployerConfig } from './config/deployer.config';
import { DeploymentPipeline } from './deployment/deployment-pipeline';
import { createDeployerActivities } from './deployments/deployer.activities';
import { DeploymentEntity } from './deployments/deployment.entity';
import { DEPLOYMENT_PIPELINE, DeploymentService } from './deployments/deployment.service';
import { Deployments1764284400004 } from './migrations/1764284400004-deployments';
import { TenantSecrets1765200000000 } from './migrations/1765200000000-tenant-secrets';
import { AdminPasswordReveals1765300000000 } from './migrations/1765300000000-admin-password-reveals';
import { DeploymentMachines1765500000000 } from './migrations/1765500000000-deployment-machines';
import {
  ConfigurationPreviewController,
  SMTP_RELAY_SETTINGS,
} from './nixos/configuration-preview.controller';
import type { SmtpRelaySettings } from './nixos/flake-renderer';
import { AdminPasswordController } from './secrets/admin-password.controller';
import { TenantSecretEntity } from './secrets/tenant-secret.entity';
import { TenantSecretService } from './secrets/tenant-secret.service';

@Module({})
export class AppModule {
  static register(config: DeployerConfig, logger: JsonLogger): DynamicModule {
    const smtp = smtpRelayOf(config);
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'deployer',
          config,
          logger,
          database: {
            schema: 'deployer',
            entities: [DeploymentEntity, TenantSecretEntity],
            migrations: [
              Deployments1764284400004,
              TenantSecrets1765200000000,
              AdminPasswordReveals1765300000000,
              DeploymentMachines1765500000000,
            ],
          },
        }),
      ],
      controllers: [AdminPasswordController, ConfigurationPreviewController],
      providers: [
        {
          provide: SMTP_RELAY_SETTINGS,
          // What the pipeline renders of the relay (below): previews render exactly what deploys do.
          useFactory: (): SmtpRelaySettings | null =>
            smtp === undefined ? null : { host: smtp.host, port: smtp.port, username: smtp.username },
        },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secretKey) },
        TenantSecretService,
        {
          provide: DEPLOYMENT_PIPELINE,
          inject: [TenantSecretService],
          useFactory: (secrets: TenantSecretService) =>
            new DeploymentPipeline({
              workDir: config.workDir,
              privateKeyFile: config.sshPrivateKeyFile,
              healthTimeoutMs: config.healthTimeoutMs,
              secrets,
              ...(smtp === undefined ? {} : { smtp }),
              logger: logger.child('pipeline'),
            }),
        },
        DeploymentService,
        {
          provide: WorkflowSchedule,
          inject: [JsonLogger],
          useFactory: (log: JsonLogger) =>
            new WorkflowSchedule(
              {
                temporalAddress: config.temporalAddress,
                temporalNamespace: config.temporalNamespace,
                scheduleId: DRIFT_CHECK_SCHEDULE_ID,
                workflowType: CHECK_DRIFT_WORKFLOW,
                intervalSeconds: config.driftCheckIntervalSeconds,
                what: 'drift check',
              },
              log,
            ),
        },
        ...workerProviders({
          taskQueue: TaskQueue.deployer,
          inject: [DeploymentService],
          activities: (deployments: DeploymentService) => createDeployerActivities({ deployments }),
        }),
      ],
    };
  }
}
