import { Module, type DynamicModule } from '@nestjs/common';
import { TaskQueue } from '@fedops/contracts';
import { JsonLogger, SecretBox, ServiceKitModule, workerProviders } from '@fedops/service-kit';
import type { BackupConfig } from './config/backup.config';
import { Repositories1764284400003 } from './migrations/1764284400003-repositories';
import { createBackupActivities } from './repositories/backup.activities';
import { BackupRepositoryEntity } from './repositories/backup-repository.entity';
import { BackupRepositoryService } from './repositories/backup-repository.service';
import { ResticRepositoryManager } from './restic/repository-manager';

@Module({})
export class AppModule {
  static register(config: BackupConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'backup',
          config,
          logger,
          database: {
            schema: 'backup',
            entities: [BackupRepositoryEntity],
            migrations: [Repositories1764284400003],
          },
        }),
      ],
      providers: [
        {
          provide: ResticRepositoryManager,
          useFactory: () => new ResticRepositoryManager({ rootDir: config.backupRootDir }),
        },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secretKey) },
        BackupRepositoryService,
        ...workerProviders({
          taskQueue: TaskQueue.backup,
          inject: [BackupRepositoryService],
          activities: (repositories: BackupRepositoryService) => createBackupActivities({ repositories }),
        }),
      ],
    };
  }
}
