// Recorded workflow histories, replayed by workflows/src/replay.spec.ts against the current workflow
// code so that a non-deterministic change fails CI instead of stuck production workflows.
//
// Regenerate (after an intended, patched() change, or to add a scenario):
//   FEDOPS_RECORD_HISTORIES=1 npx jest --selectProjects integration -- workflows/src/deploy-tenant.int-spec.ts workflows/src/destroy-tenant.int-spec.ts
// The tests that call recordHistory() then write workflows/test/histories/<name>.json. Keep old files
// when a change is meant to stay compatible with running workflows: they are the point.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { WorkflowHandle } from '@temporalio/client';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type History = proto.temporal.api.history.v1.IHistory;

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
  const history = historyToProtoJson(await handle.fetchHistory());
  const file = join(HISTORIES_DIR, `${name}.json`);
  writeFileSync(file, JSON.stringify({ workflowId: handle.workflowId, history }));
  // Formatted as the repository's `prettier --check .` expects (the CLI: prettier's API needs ESM
  // dynamic imports, which jest's CommonJS runtime refuses).
  execFileSync(process.execPath, [
    require.resolve('prettier/bin/prettier.cjs'),
    '--log-level',
    'warn',
    '--write',
    file,
  ]);
}

/** Every recorded history, sorted by file name. */
export function loadHistories(): Array<RecordedHistory & { file: string }> {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const raw = JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')) as {
        workflowId?: unknown;
        history?: unknown;
      };
      if (typeof raw.workflowId !== 'string' || typeof raw.history !== 'object' || raw.history === null) {
        throw new Error(`${file}: expected { workflowId, history }`);
      }
      return { file, workflowId: raw.workflowId, history: historyFromProtoJson(raw.history) };
    });
}

// The SDK's historyToJSON/historyFromJSON (@temporalio/common/lib/proto-utils) throw "type must be a
// Type" in this install: @temporalio/common and @temporalio/proto each carry their own protobufjs copy
// and the type from one fails the other's instanceof check. So encode with the protojson extension of
// the protobufjs copy that @temporalio/proto itself uses; the output is the same proto3 JSON format
// (`temporal workflow show --output json`).
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
interface ProtoRoot {
  lookupType(name: string): unknown;
}

function protoJsonCodec(): { protojson: ProtoJson; historyType: unknown } {
  const protoDir = dirname(require.resolve('@temporalio/proto/package.json'));
  const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as ProtoJson;
  const root = patchProtobufRoot(proto as unknown as Record<string, unknown>) as unknown as ProtoRoot;
  const historyType = root.lookupType('temporal.api.history.v1.History');
  return { protojson, historyType };
}

export function historyToProtoJson(history: History): unknown {
  const { protojson, historyType } = protoJsonCodec();
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

export function historyFromProtoJson(json: unknown): History {
  const { protojson, historyType } = protoJsonCodec();
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (history === null || typeof history !== 'object') throw new TypeError('Invalid history JSON');
  return history as History;
}
