import type { MachineRef } from './machine';

/**
 * Why a snapshot was taken. Snapshots taken before a restore, an upgrade or an app's removal are
 * protected: retention never forgets them (only an explicit forget does).
 */
export const SNAPSHOT_REASONS = ['manual', 'scheduled', 'pre-restore', 'pre-upgrade', 'pre-removal'] as const;
export type SnapshotReason = (typeof SNAPSHOT_REASONS)[number];
export const PROTECTED_SNAPSHOT_REASONS: readonly SnapshotReason[] = [
  'pre-restore',
  'pre-upgrade',
  'pre-removal',
];

/**
 * How a restore replaces an app's data. `safe`: into a new location on the machine, verified against
 * the repository, then swapped with the live data (files by rename, databases by rename), the old
 * data dropped only after the swap; needs room for a second copy. `in-place`: a snapshot of the live
 * data first (reason `pre-restore`), then the data paths emptied and restored where they are and the
 * databases restored over themselves in one transaction; needs little room.
 */
export const RESTORE_STRATEGIES = ['safe', 'in-place'] as const;
export type RestoreStrategy = (typeof RESTORE_STRATEGIES)[number];

/** One app's snapshot in the tenant's restic repository: its data paths and a dump of its databases. */
export interface AppSnapshot {
  /** restic's snapshot id (64 hex). */
  id: string;
  tenantId: string;
  app: string;
  reason: SnapshotReason;
  /** The operation that took it. */
  operationId: string;
  takenAt: string;
  /** The app's data paths as on the machine (`/var/lib/forgejo`), machine-independent. */
  paths: string[];
  /** The app's databases, dumped into the snapshot. */
  databases: string[];
  /** Bytes of the files the snapshot holds (data and dumps). */
  totalBytes: number;
  /** Bytes this snapshot added to the repository (after deduplication). */
  addedBytes: number;
  files: number;
  /** Retention never forgets it. */
  protected: boolean;
}

export interface BackupAppsInput {
  tenantId: string;
  operationId: string;
  machine: MachineRef;
  /** App ids from the catalog; an app without data paths or databases gets no snapshot. */
  apps: string[];
  reason: SnapshotReason;
}
export interface BackupAppsResult {
  snapshots: AppSnapshot[];
  /** Apps that hold nothing to back up (no data paths, no databases). */
  skipped: string[];
}

export interface RestoreAppsInput {
  tenantId: string;
  operationId: string;
  machine: MachineRef;
  /** Snapshot ids of this tenant, at most one per app. */
  snapshotIds: string[];
  strategy: RestoreStrategy;
}
export interface RestoreAppsResult {
  restored: Array<{ app: string; snapshotId: string; preRestoreSnapshotId?: string }>;
}

/** What a backup or restore run reports as it goes (events `backup.progress`, and heartbeats). */
export interface BackupProgress extends Record<string, unknown> {
  operationId: string;
  app: string;
  phase: 'backup' | 'restore' | 'retention';
  percent: number;
  bytesDone: number;
  totalBytes: number;
  filesDone: number;
  totalFiles: number;
}

/** Request/reply: a tenant's snapshots (RpcReply<AppSnapshot[]>), newest first. */
export const BACKUP_SNAPSHOTS_LIST_SUBJECT = 'rpc.fedops.backup.snapshots.list';
export interface SnapshotsListRequest {
  tenantId: string;
  /** Read the repository again instead of the backup service's record of it. */
  refresh?: boolean;
}

/** Request/reply: the snapshots with these ids, if they belong to the tenant (RpcReply<AppSnapshot[]>). */
export const BACKUP_SNAPSHOTS_GET_SUBJECT = 'rpc.fedops.backup.snapshots.get';
export interface SnapshotsGetRequest {
  tenantId: string;
  ids: string[];
}

/** restic's `forget --keep-*` counts; at least one is set (a policy that keeps nothing is refused). */
export interface RetentionPolicy {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
}
export const RETENTION_KEYS = [
  'keepLast',
  'keepHourly',
  'keepDaily',
  'keepWeekly',
  'keepMonthly',
  'keepYearly',
] as const satisfies ReadonlyArray<keyof RetentionPolicy>;

/** How a tenant is backed up on its own: how often, what is kept, how often the repository is checked. */
export interface BackupPolicy {
  /** Hours between scheduled backups of every app; 0: none (manual backups only). */
  intervalHours: number;
  /** Applied to each app's scheduled and manual snapshots after every scheduled backup. */
  retention: RetentionPolicy;
  /** Days between `restic check` runs, which read `checkReadDataPercent` % of the data too. */
  checkIntervalDays: number;
  checkReadDataPercent: number;
}

export const DEFAULT_BACKUP_POLICY: BackupPolicy = {
  intervalHours: 24,
  retention: { keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 },
  checkIntervalDays: 7,
  checkReadDataPercent: 5,
};

/** The Temporal Schedule of a tenant's backups; its runs start SCHEDULED_BACKUP_WORKFLOW. */
export const backupScheduleId = (tenantId: string): string => `fedops-backup-${tenantId}`;
export const SCHEDULED_BACKUP_WORKFLOW = 'scheduledBackup';

export interface ApplyRetentionInput {
  tenantId: string;
  operationId: string;
  apps: string[];
  policy: BackupPolicy;
}
export interface ApplyRetentionResult {
  /** Snapshots forgotten (and their data pruned). */
  forgotten: string[];
  /** Whether the repository was checked this time (checkIntervalDays had passed). */
  checked: boolean;
}

/** What a scheduled run did: started a backup operation, or why it did not. */
export type ScheduledBackupResult = { operationId: string } | { skipped: string };

/** The workflow a Temporal Schedule of the backup service runs to purge repositories past their grace period. */
export const PURGE_REPOSITORIES_WORKFLOW = 'purgeRepositories';
export const PURGE_REPOSITORIES_SCHEDULE_ID = 'fedops-backup-purge';
