import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { PURGE_REPOSITORIES_SCHEDULE_ID, PURGE_REPOSITORIES_WORKFLOW, TaskQueue } from '@fedops/contracts';
import {
  EventPublisher,
  JsonLogger,
  SecretBox,
  ServiceKitModule,
  WorkflowSchedule,
  workerProviders,
} from '@fedops/service-kit';
import { DataSource } from 'typeorm';
import type { BackupConfig } from './config/backup.config';
import { MachineRestic } from './machine/machine-restic';
import { Repositories1764284400003 } from './migrations/1764284400003-repositories';
import { Snapshots1765600000000 } from './migrations/1765600000000-snapshots';
import { createBackupActivities } from './repositories/backup.activities';
import { BackupRepositoryEntity } from './repositories/backup-repository.entity';
import { BackupRepositoryService } from './repositories/backup-repository.service';
import { ResticCli } from './restic/restic-cli';
import { SnapshotEntity } from './snapshots/snapshot.entity';
import { SnapshotService } from './snapshots/snapshot.service';
import { SnapshotsController } from './snapshots/snapshots.controller';
import { S3Objects } from './targets/s3-objects';
import { S3Repositories } from './targets/s3-target';

@Module({})
export class AppModule {
  static register(config: BackupConfig, logger: JsonLogger): DynamicModule {
    const repositories = new S3Repositories({
      endpoint: config.s3Endpoint,
      region: config.s3Region,
      bucket: config.s3Bucket,
      accessKeyId: config.s3AccessKeyId,
      secretAccessKey: config.s3SecretAccessKey,
      reach: config.s3Reach,
    });
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'backup',
          config,
          logger,
          database: {
            schema: 'backup',
            entities: [BackupRepositoryEntity, SnapshotEntity],
            migrations: [Repositories1764284400003, Snapshots1765600000000],
          },
        }),
      ],
      controllers: [SnapshotsController],
      providers: [
        { provide: S3Repositories, useValue: repositories },
        { provide: S3Objects, useValue: new S3Objects(repositories.target) },
        { provide: SecretBox, useFactory: () => new SecretBox(config.secretKey) },
        {
          // restic run from here: listings, ids, retention (the backups themselves run on the machines).
          provide: ResticCli,
          useFactory: () =>
            new ResticCli({
              backendEnv: repositories.backendEnv(),
              cacheDir: join(config.workDir, 'restic-cache'),
            }),
        },
        {
          provide: MachineRestic,
          useFactory: () =>
            new MachineRestic(
              { privateKeyFile: config.sshPrivateKeyFile, workDir: config.workDir },
              repositories,
            ),
        },
        {
          provide: BackupRepositoryService,
          inject: [DataSource, S3Repositories, S3Objects, SecretBox, EventPublisher, JsonLogger],
          useFactory: (
            ds: DataSource,
            s3: S3Repositories,
            objects: S3Objects,
            box: SecretBox,
            events: EventPublisher,
            log: JsonLogger,
          ) => new BackupRepositoryService(ds, s3, objects, box, events, config.deletedTenantGraceDays, log),
        },
        SnapshotService,
        {
          provide: WorkflowSchedule,
          inject: [JsonLogger],
          useFactory: (log: JsonLogger) =>
            new WorkflowSchedule(
              {
                temporalAddress: config.temporalAddress,
                temporalNamespace: config.temporalNamespace,
                scheduleId: PURGE_REPOSITORIES_SCHEDULE_ID,
                workflowType: PURGE_REPOSITORIES_WORKFLOW,
                intervalSeconds: config.purgeIntervalSeconds,
                what: 'purge of expired backup repositories',
              },
              log,
            ),
        },
        ...workerProviders({
          taskQueue: TaskQueue.backup,
          inject: [BackupRepositoryService, SnapshotService],
          activities: (repositoryService: BackupRepositoryService, snapshots: SnapshotService) =>
            createBackupActivities({ repositories: repositoryService, snapshots }),
        }),
      ],
    };
  }
}
