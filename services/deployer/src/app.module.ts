import { Module, type DynamicModule } from '@nestjs/common';
import { TaskQueue } from '@fedops/contracts';
import { JsonLogger, ServiceKitModule, workerProviders } from '@fedops/service-kit';
import type { DeployerConfig } from './config/deployer.config';
import { DeploymentPipeline } from './deployment/deployment-pipeline';
import { createDeployerActivities } from './deployments/deployer.activities';
import { DeploymentEntity } from './deployments/deployment.entity';
import { DEPLOYMENT_PIPELINE, DeploymentService } from './deployments/deployment.service';
import { Deployments1764284400004 } from './migrations/1764284400004-deployments';

@Module({})
export class AppModule {
  static register(config: DeployerConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'deployer',
          config,
          logger,
          database: {
            schema: 'deployer',
            entities: [DeploymentEntity],
            migrations: [Deployments1764284400004],
          },
        }),
      ],
      providers: [
        {
          provide: DEPLOYMENT_PIPELINE,
          useFactory: () =>
            new DeploymentPipeline({
              workDir: config.workDir,
              privateKeyFile: config.sshPrivateKeyFile,
              healthTimeoutMs: config.healthTimeoutMs,
              logger: logger.child('pipeline'),
            }),
        },
        DeploymentService,
        ...workerProviders({
          taskQueue: TaskQueue.deployer,
          inject: [DeploymentService],
          activities: (deployments: DeploymentService) => createDeployerActivities({ deployments }),
        }),
      ],
    };
  }
}
