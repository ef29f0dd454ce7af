import { Context } from '@temporalio/activity';
import type { BackupActivities, BackupProgress } from '@fedops/contracts';
import type { BackupRepositoryService } from './backup-repository.service';
import type { RunReporter, SnapshotService } from '../snapshots/snapshot.service';

/** Heartbeats of a long run: the latest progress, this often, whether or not restic said more. */
const HEARTBEAT_INTERVAL_MS = 5_000;

export function createBackupActivities(deps: {
  repositories: BackupRepositoryService;
  snapshots: SnapshotService;
}): BackupActivities {
  return {
    initRepository: ({ tenantId }) => deps.repositories.ensure(tenantId),
    deleteRepository: async ({ tenantId, purge }) => ({
      deleted: await deps.repositories.delete(tenantId, purge === true),
    }),
    purgeExpiredRepositories: async () => ({ purged: await deps.repositories.purgeExpired() }),
    backupApps: (input) => withHeartbeats((reporter) => deps.snapshots.backupApps(input, reporter)),
    restoreApps: (input) => withHeartbeats((reporter) => deps.snapshots.restoreApps(input, reporter)),
    applyRetention: (input) => withHeartbeats((reporter) => deps.snapshots.applyRetention(input, reporter)),
  };
}

async function withHeartbeats<T>(run: (reporter: RunReporter) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  let latest: BackupProgress | undefined;
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(latest), HEARTBEAT_INTERVAL_MS);
  try {
    return await run({
      heartbeat: (details) => {
        latest = details;
      },
      signal: ctx.cancellationSignal,
    });
  } finally {
    clearInterval(timer);
  }
}
