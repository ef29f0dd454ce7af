import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

import { loadHistories, type RecordedHistory } from '../test/record-histories';
import { bundleWorkflows } from '../test/workflow-harness';

// Replays every recorded history (workflows/test/histories, see workflows/test/record-histories.ts)
// against the current workflow code: a change that would break running workflows (a step added,
// removed or reordered without patched()) fails here with a DeterminismViolationError.
describe('workflow history replay', () => {
  const histories = loadHistories();
  let workflowBundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    workflowBundle = await bundleWorkflows();
  }, 60_000);

  /** `workflowId: error` for every history that does not replay cleanly. */
  async function replayFailures(recorded: RecordedHistory[]): Promise<string[]> {
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle, replayName: 'fedops-replay' },
      recorded,
    )) {
      replayed += 1;
      if (result.error !== undefined) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    if (replayed !== recorded.length) failures.push(`replayed ${replayed} of ${recorded.length} histories`);
    return failures;
  }

  it('has recorded histories of successful, compensated and cancelled runs of every tenant workflow', () => {
    const runs = [
      'deploy-tenant-succeeded',
      'deploy-tenant-compensated',
      'deploy-tenant-cancelled',
      'destroy-tenant-succeeded',
      'destroy-tenant-failed',
    ];
    // Current code; before backup-alongside (-v4); before operation-progress-reports (-v3); before
    // undo-failed-steps (-v2); before wait-for-cancelled-activities (-v1).
    expect(histories.map((h) => h.file)).toEqual(
      expect.arrayContaining(
        ['', '-v4', '-v3', '-v2', '-v1'].flatMap((version) => runs.map((r) => `${r}${version}.json`)),
      ),
    );
    // updateTenant came after those patches: only current code.
    expect(histories.map((h) => h.file)).toEqual(
      expect.arrayContaining(['update-tenant-succeeded.json', 'update-tenant-rolled-back.json']),
    );
    // So did backupTenant and restoreTenant.
    expect(histories.map((h) => h.file)).toEqual(
      expect.arrayContaining([
        'backup-tenant-succeeded.json',
        'restore-tenant-succeeded.json',
        'restore-tenant-failed.json',
      ]),
    );
  });

  it('replays every recorded history without a determinism violation', async () => {
    expect(await replayFailures(histories)).toEqual([]);
  }, 60_000);

  it('reports a history the current code would not produce (the check can fail)', async () => {
    const original = histories.find((h) => h.file === 'deploy-tenant-succeeded.json');
    if (original === undefined) throw new Error('deploy-tenant-succeeded.json is missing');
    // As if the recorded run came from code that called the dns step something else.
    const tampered = structuredClone(original);
    const scheduled = (tampered.history.events ?? []).find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyTenantRecords',
    );
    if (!scheduled?.activityTaskScheduledEventAttributes?.activityType)
      throw new Error('no applyTenantRecords event');
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'applyTenantRecordsV0';

    const failures = await replayFailures([tampered]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/nondetermin/i);
  }, 60_000);
});
