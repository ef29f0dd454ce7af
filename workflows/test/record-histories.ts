// Recorded workflow histories, replayed by workflows/src/replay.spec.ts against the current workflow
// code so that a non-deterministic change fails CI instead of stuck production workflows.
//
// Regenerate (after an intended, patched() change, or to add a scenario):
//   FEDOPS_RECORD_HISTORIES=1 npx jest --selectProjects integration -- workflows/src/deploy-tenant.int-spec.ts workflows/src/destroy-tenant.int-spec.ts
// The tests that call recordHistory() then write workflows/test/histories/<name>.json. Keep the old
// files when a change is meant to stay compatible with running workflows: they are the point.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { WorkflowHandle } from '@temporalio/client';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = join(__dirname, 'histories');

/** On disk: the workflow id (histories do not carry it; the workflows read it) and the history in proto JSON. */
export interface RecordedHistory {
  workflowId: string;
  history: History;
}

export function recordingEnabled(): boolean {
  return process.env['FEDOPS_RECORD_HISTORIES'] === '1';
}

/** Writes the handle's (closed) workflow history to histories/<name>.json when recording is enabled. */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!recordingEnabled()) return;
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`History name must be kebab-case: ${name}`);
  const history = JSON.parse(historyToJSON(await handle.fetchHistory())) as unknown;
  const file = join(HISTORIES_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ workflowId: handle.workflowId, history }, null, 1)}\n`);
}

/** Every recorded history, sorted by file name. */
export function loadHistories(): Array<RecordedHistory & { file: string }> {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const raw = JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as { workflowId?: unknown; history?: unknown };
      if (typeof raw.workflowId !== 'string' || raw.history === undefined) {
        throw new Error(`${file}: expected { workflowId, history }`);
      }
      return { file, workflowId: raw.workflowId, history: historyFromJSON(raw.history) };
    });
}
