import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import {
  PROTECTED_SNAPSHOT_REASONS,
  type ApplyRetentionInput,
  type ApplyRetentionResult,
  SNAPSHOT_REASONS,
  type AppSnapshot,
  type BackupAppsInput,
  type BackupAppsResult,
  type BackupProgress,
  type MachineRef,
  type RestoreAppsInput,
  type RestoreAppsResult,
  type SnapshotReason,
} from '@fedops/contracts';
import { findApp } from '@fedops/catalog';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { EventPublisher, JsonLogger } from '@fedops/service-kit';
import { MachineRestic, type MachineRunOptions } from '../machine/machine-restic';
import { backupScript, machineLayout, restoreScript, type AppDataPlan } from '../machine/machine-scripts';
import { BackupRepositoryService, type OpenRepository } from '../repositories/backup-repository.service';
import { parseBackupStatus, parseBackupSummary, ResticCli, type ResticSnapshot } from '../restic/restic-cli';
import { forgetOutsidePolicy } from './retention';
import { S3Objects } from '../targets/s3-objects';
import { SnapshotEntity } from './snapshot.entity';

/**
 * Where a run reports how far it is: the activity heartbeats the latest report (also while nothing
 * new comes, e.g. during a restore); backups also announce it, throttled, as `backup.progress`.
 */
export interface RunReporter {
  heartbeat(details: BackupProgress): void;
  signal?: AbortSignal;
}

const PROGRESS_EVENT_INTERVAL_MS = 2_000;

/**
 * Backups and restores of a tenant's apps, each run by restic on the tenant's machine (where the
 * data is) against the tenant's repository; the snapshots' records and listings from here, where
 * the backup service reaches the repository itself.
 */
@Injectable()
export class SnapshotService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repositories: BackupRepositoryService,
    private readonly machines: MachineRestic,
    private readonly restic: ResticCli,
    private readonly objects: S3Objects,
    private readonly events: EventPublisher,
    logger: JsonLogger,
  ) {
    this.log = logger.child('snapshots');
  }

  /**
   * One snapshot per app that holds data. A retried attempt keeps the snapshots an earlier attempt
   * of the same operation took and takes only the missing ones.
   */
  async backupApps(input: BackupAppsInput, reporter: RunReporter): Promise<BackupAppsResult> {
    const repository = await this.repositories.open(input.tenantId);
    const snapshots: AppSnapshot[] = [];
    const skipped: string[] = [];
    for (const app of input.apps) {
      const plan = catalogPlan(app);
      if (plan.dataPaths.length === 0 && plan.databases.length === 0) {
        skipped.push(app);
        continue;
      }
      snapshots.push(
        await this.snapshotOnce(input.machine, repository, plan, input.reason, input.operationId, reporter),
      );
    }
    return { snapshots, skipped };
  }

  async restoreApps(input: RestoreAppsInput, reporter: RunReporter): Promise<RestoreAppsResult> {
    const repository = await this.repositories.open(input.tenantId);
    const rows = await this.requireSnapshots(input.tenantId, input.snapshotIds);
    const restored: RestoreAppsResult['restored'] = [];
    for (const row of rows) {
      // What the snapshot holds, with the app's hooks of today.
      const plan: AppDataPlan = { ...catalogPlan(row.app), dataPaths: row.paths, databases: row.databases };
      let preRestoreSnapshotId: string | undefined;
      if (input.strategy === 'in-place') {
        preRestoreSnapshotId = (
          await this.snapshotOnce(
            input.machine,
            repository,
            catalogPlan(row.app),
            'pre-restore',
            input.operationId,
            reporter,
          )
        ).id;
      }
      reporter.heartbeat(progress(input.operationId, row.app, 'restore', 0, row.totalBytes));
      const layout = machineLayout(input.machine);
      await this.machines.run(
        input.machine,
        repository.password,
        (credentials) =>
          restoreScript({
            layout,
            plan,
            credentials,
            snapshotId: row.id,
            snapshotBytes: row.totalBytes,
            strategy: input.strategy,
            runId: input.operationId,
          }),
        `restore of ${row.app}`,
        runOptions(reporter),
      );
      reporter.heartbeat(progress(input.operationId, row.app, 'restore', 100, row.totalBytes));
      await this.events.publish(
        input.tenantId,
        'backup.restored',
        `backup/${input.operationId}/restored/${row.app}`,
        {
          operationId: input.operationId,
          app: row.app,
          snapshotId: row.id,
          strategy: input.strategy,
          ...(preRestoreSnapshotId !== undefined ? { preRestoreSnapshotId } : {}),
        },
      );
      this.log.info('app restored', {
        tenantId: input.tenantId,
        app: row.app,
        snapshotId: row.id,
        strategy: input.strategy,
      });
      restored.push({
        app: row.app,
        snapshotId: row.id,
        ...(preRestoreSnapshotId ? { preRestoreSnapshotId } : {}),
      });
    }
    return { restored };
  }

  /**
   * Retention, per app: restic forgets the app's snapshots (one group per app, whatever machine took
   * them) that the policy does not keep, never a protected one (`reason=pre-restore` and the like
   * are kept by tag); the data they alone held is pruned. Then, when `checkIntervalDays` have passed
   * since the last check, `restic check` reads the repository's structure and a part of its data.
   * Runs from here, where the repository is reached directly: no machine is involved.
   */
  async applyRetention(input: ApplyRetentionInput, reporter: RunReporter): Promise<ApplyRetentionResult> {
    const repository = await this.repositories.open(input.tenantId);
    const { policy } = input;
    const forgotten: string[] = [];
    for (const app of input.apps) {
      reporter.heartbeat(progress(input.operationId, app, 'retention', 0, 0));
      const result = await forgetOutsidePolicy(
        this.restic,
        repository,
        input.tenantId,
        app,
        policy.retention,
      );
      forgotten.push(...result.removed);
    }
    if (forgotten.length > 0) {
      await this.restic.prune(repository.location, repository.password);
      await this.dataSource
        .getRepository(SnapshotEntity)
        .delete({ tenantId: input.tenantId, id: In(forgotten) });
      this.log.info('snapshots forgotten by retention', {
        tenantId: input.tenantId,
        forgotten: forgotten.length,
      });
    }
    const due =
      repository.checkedAt === null ||
      Date.now() - repository.checkedAt.getTime() >= policy.checkIntervalDays * 24 * 3600_000;
    const checked = due && (await this.initialised(repository));
    if (checked) {
      await this.restic.check(repository.location, repository.password, {
        readDataSubset: `${policy.checkReadDataPercent}%`,
      });
      await this.repositories.markChecked(input.tenantId, new Date());
      this.log.info('repository checked', {
        tenantId: input.tenantId,
        readData: `${policy.checkReadDataPercent}%`,
      });
    }
    return { forgotten, checked };
  }

  /**
   * The tenant's snapshots, newest first, as recorded; `refresh` reads the repository again first:
   * records of snapshots gone from it are dropped, and snapshots it holds that were never recorded
   * here (a lost record; a repository that outlived its records) are recorded from their tags.
   */
  async list(tenantId: string, refresh = false): Promise<AppSnapshot[]> {
    if (refresh) await this.refresh(tenantId);
    const rows = await this.dataSource
      .getRepository(SnapshotEntity)
      .find({ where: { tenantId }, order: { takenAt: 'DESC', id: 'ASC' } });
    return rows.map(toView);
  }

  /** The snapshots with these ids; a NOT_FOUND naming those the tenant has not. */
  async get(tenantId: string, ids: string[]): Promise<AppSnapshot[]> {
    return (await this.requireSnapshots(tenantId, ids)).map(toView);
  }

  /**
   * The app's snapshot for this reason and operation: the one an earlier attempt of the operation
   * took (a retried activity), or a new one.
   */
  private async snapshotOnce(
    machine: MachineRef,
    repository: OpenRepository,
    plan: AppDataPlan,
    reason: SnapshotReason,
    operationId: string,
    reporter: RunReporter,
  ): Promise<AppSnapshot> {
    const earlier = await this.dataSource
      .getRepository(SnapshotEntity)
      .findOneBy({ tenantId: machine.tenantId, operationId, app: plan.app, reason });
    if (earlier !== null) return toView(earlier);
    return this.backupApp(machine, repository, plan, reason, operationId, reporter);
  }

  private async backupApp(
    machine: MachineRef,
    repository: OpenRepository,
    plan: AppDataPlan,
    reason: SnapshotReason,
    operationId: string,
    reporter: RunReporter,
  ): Promise<AppSnapshot> {
    const tags = [
      `tenant=${machine.tenantId}`,
      `app=${plan.app}`,
      `reason=${reason}`,
      `operation=${operationId}`,
    ];
    let lastEvent = 0;
    let pending = '';
    const onLine = (line: string): void => {
      const status = parseBackupStatus(line);
      if (status === undefined) return;
      const report: BackupProgress = { operationId, app: plan.app, phase: 'backup', ...status };
      reporter.heartbeat(report);
      if (Date.now() - lastEvent >= PROGRESS_EVENT_INTERVAL_MS) {
        lastEvent = Date.now();
        void this.events
          .publish(
            machine.tenantId,
            'backup.progress',
            `backup/${operationId}/${plan.app}/${lastEvent}`,
            report,
          )
          .catch((err: unknown) => this.log.warn('progress event not published', { error: String(err) }));
      }
    };
    const stdout = await this.machines.run(
      machine,
      repository.password,
      (credentials) =>
        backupScript({
          layout: machineLayout(machine),
          plan,
          credentials,
          host: machine.tenantId,
          tags,
          initialised: repository.resticId !== null,
        }),
      `backup of ${plan.app}`,
      runOptions(reporter, (chunk) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        lines.forEach(onLine);
      }),
    );
    const summary = parseBackupSummary(stdout);
    if (summary === undefined) {
      throw new FedopsError(
        FedopsErrorCode.ProviderFailed,
        `backup of ${plan.app} on machine ${machine.machineId} ended without restic's summary`,
      );
    }
    // The full id and the time from the snapshot's object: a listing, not another restic process.
    const [found, ...others] = await this.objects.list(`${machine.tenantId}/snapshots/${summary.snapshotId}`);
    const id = found?.key.split('/').pop();
    if (found === undefined || id === undefined || others.length > 0 || !/^[0-9a-f]{64}$/.test(id)) {
      throw new FedopsError(
        FedopsErrorCode.ProviderFailed,
        `snapshot ${summary.snapshotId} of ${plan.app} is not (or not once) in the repository after its backup`,
      );
    }
    if (repository.resticId === null) {
      repository.resticId = await this.restic.repositoryId(repository.location, repository.password);
      await this.repositories.markInitialised(machine.tenantId, repository.resticId);
    }
    const row = this.dataSource.getRepository(SnapshotEntity).create({
      id,
      tenantId: machine.tenantId,
      app: plan.app,
      reason,
      operationId,
      // When its snapshot file was written: the backup's end (restic's own time, its start, is what a
      // refresh from the repository records).
      takenAt: found.lastModified,
      paths: [...plan.dataPaths],
      databases: [...plan.databases],
      totalBytes: summary.totalBytesProcessed,
      addedBytes: summary.dataAdded,
      files: summary.totalFilesProcessed,
      isProtected: PROTECTED_SNAPSHOT_REASONS.includes(reason),
    });
    await this.dataSource.getRepository(SnapshotEntity).upsert(row, ['id']);
    const view = toView(row);
    await this.events.publish(machine.tenantId, 'backup.snapshot.taken', `backup/snapshot/${id}`, {
      ...view,
    });
    this.log.info('snapshot taken', {
      tenantId: machine.tenantId,
      app: plan.app,
      snapshotId: id,
      reason,
      totalBytes: view.totalBytes,
      addedBytes: view.addedBytes,
    });
    return view;
  }

  private async initialised(repository: OpenRepository): Promise<boolean> {
    try {
      await this.restic.repositoryId(repository.location, repository.password);
      return true;
    } catch (err) {
      if (err instanceof FedopsError && err.code === FedopsErrorCode.NotFound) return false;
      throw err;
    }
  }

  private async refresh(tenantId: string): Promise<void> {
    const repository = await this.repositories.open(tenantId);
    let inRepository: ResticSnapshot[];
    try {
      inRepository = await this.restic.snapshots(repository.location, repository.password, {
        host: tenantId,
      });
    } catch (err) {
      // A repository no backup has initialised yet holds no snapshots.
      if (err instanceof FedopsError && err.code === FedopsErrorCode.NotFound) inRepository = [];
      else throw err;
    }
    const table = this.dataSource.getRepository(SnapshotEntity);
    const recorded = await table.findBy({ tenantId });
    const present = new Set(inRepository.map((s) => s.id));
    const gone = recorded.filter((r) => !present.has(r.id)).map((r) => r.id);
    if (gone.length > 0) await table.delete({ id: In(gone) });
    const known = new Set(recorded.map((r) => r.id));
    for (const s of inRepository.filter((snapshot) => !known.has(snapshot.id))) {
      const tag = (name: string): string | undefined =>
        s.tags.find((t) => t.startsWith(`${name}=`))?.slice(name.length + 1);
      const app = tag('app');
      const reason = tag('reason');
      if (app === undefined || !isReason(reason)) continue; // not one of ours
      const plan = catalogPlan(app);
      await table.upsert(
        table.create({
          id: s.id,
          tenantId,
          app,
          reason,
          operationId: tag('operation') ?? 'unknown',
          takenAt: new Date(s.time),
          paths: [...plan.dataPaths],
          databases: [...plan.databases],
          totalBytes: 0,
          addedBytes: 0,
          files: 0,
          isProtected: PROTECTED_SNAPSHOT_REASONS.includes(reason),
        }),
        ['id'],
      );
    }
  }

  private async requireSnapshots(tenantId: string, ids: string[]): Promise<SnapshotEntity[]> {
    const rows =
      ids.length === 0
        ? []
        : await this.dataSource.getRepository(SnapshotEntity).findBy({ tenantId, id: In(ids) });
    const missing = ids.filter((id) => !rows.some((r) => r.id === id));
    if (missing.length > 0) {
      throw new FedopsError(
        FedopsErrorCode.NotFound,
        `Tenant ${tenantId} has no snapshot ${missing.join(', ')}`,
        {
          extensions: { snapshots: missing },
        },
      );
    }
    const apps = rows.map((r) => r.app);
    const twice = apps.find((app, i) => apps.indexOf(app) !== i);
    if (twice !== undefined) {
      throw FedopsError.validation([
        { field: 'snapshotIds', message: `name at most one snapshot of each app (${twice} twice)` },
      ]);
    }
    return ids.map((id) => rows.find((r) => r.id === id) as SnapshotEntity);
  }
}

function catalogPlan(app: string): AppDataPlan {
  const def = findApp(app);
  if (def === undefined) throw FedopsError.validation([{ field: 'apps', message: `unknown app ${app}` }]);
  return {
    app,
    dataPaths: def.dataPaths,
    databases: def.databases.map((d) => d.name),
    hooks: def.backupHooks,
  };
}

function runOptions(reporter: RunReporter, onStdout?: (chunk: string) => void): MachineRunOptions {
  return {
    ...(reporter.signal !== undefined ? { signal: reporter.signal } : {}),
    ...(onStdout !== undefined ? { onStdout } : {}),
  };
}

function progress(
  operationId: string,
  app: string,
  phase: BackupProgress['phase'],
  percent: number,
  totalBytes: number,
): BackupProgress {
  return {
    operationId,
    app,
    phase,
    percent,
    bytesDone: Math.round((totalBytes * percent) / 100),
    totalBytes,
    filesDone: 0,
    totalFiles: 0,
  };
}

function isReason(value: string | undefined): value is SnapshotReason {
  return value !== undefined && (SNAPSHOT_REASONS as readonly string[]).includes(value);
}

function toView(row: SnapshotEntity): AppSnapshot {
  return {
    id: row.id,
    tenantId: row.tenantId,
    app: row.app,
    reason: row.reason,
    operationId: row.operationId,
    takenAt: row.takenAt.toISOString(),
    paths: row.paths,
    databases: row.databases,
    totalBytes: row.totalBytes,
    addedBytes: row.addedBytes,
    files: row.files,
    protected: row.isProtected,
  };
}
