import { Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { TaskQueue } from '@fedops/contracts';
import { COMMON_CONFIG, workerProviders, type CommonConfig } from '@fedops/service-kit';
import { TenantBackupService } from '../backups/tenant-backup.service';
import { BackupSchedules } from '../backups/backup-schedules';
import { DriftRecorder } from '../drift/drift-recorder';
import { OperationService } from '../operations/operation.service';
import { createTenantApiActivities } from './tenant-api.activities';
import { Orchestrator } from './orchestrator';

/** Where the compiled workflows live; the orchestration worker bundles them at start. */
export function workflowsPath(): string {
  return require.resolve('@fedops/workflows');
}

/** Closes the client's connection once the workers have drained. */
@Injectable()
class TemporalClientLifecycle implements OnApplicationShutdown {
  constructor(private readonly client: Client) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.connection.close();
  }
}

/** The Temporal client, the orchestration worker (workflows) and tenant-api's own activity worker. */
export function orchestrationProviders(): Provider[] {
  return [
    {
      provide: Client,
      inject: [COMMON_CONFIG],
      useFactory: async (config: CommonConfig) => {
        const connection = await Connection.connect({ address: config.temporalAddress });
        return new Client({ connection, namespace: config.temporalNamespace });
      },
    },
    TemporalClientLifecycle,
    Orchestrator,
    BackupSchedules,
    ...workerProviders({
      taskQueue: TaskQueue.workflows,
      inject: [],
      activities: () => ({}),
      workflowsPath: workflowsPath(),
    }),
    ...workerProviders({
      taskQueue: TaskQueue.tenantApi,
      inject: [OperationService, DriftRecorder, TenantBackupService],
      activities: (operations: OperationService, drift: DriftRecorder, backups: TenantBackupService) =>
        createTenantApiActivities({ operations, drift, backups }),
    }),
  ];
}
