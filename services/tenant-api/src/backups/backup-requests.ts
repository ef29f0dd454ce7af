import { RESTORE_STRATEGIES, type RestoreStrategy } from '@fedops/contracts';
import { FedopsError, type FieldError } from '@fedops/domain';

/** `POST /v1/tenants/{id}/backups`: which apps (default: every app of the tenant). */
export interface BackupCommand {
  apps?: string[];
}

/** `POST /v1/tenants/{id}/restores`: which snapshots (at most one per app) and how. */
export interface RestoreCommand {
  snapshotIds: string[];
  strategy: RestoreStrategy;
}

const APP_ID = /^[a-z][a-z0-9-]{0,39}$/;
const SNAPSHOT_ID = /^[0-9a-f]{64}$/;
const MAX_ITEMS = 20;

export function parseBackupRequest(body: unknown): BackupCommand {
  const object = requireObject(body ?? {});
  const errors = unknownFields(object, ['apps']);
  const apps = object['apps'];
  if (apps !== undefined) errors.push(...idList(apps, 'apps', APP_ID, 'an app id of the tenant'));
  if (errors.length > 0) throw FedopsError.validation(errors);
  return apps === undefined ? {} : { apps: [...new Set(apps as string[])] };
}

export function parseRestoreRequest(body: unknown): RestoreCommand {
  const object = requireObject(body);
  const errors = unknownFields(object, ['snapshotIds', 'strategy']);
  const { snapshotIds, strategy } = object;
  if (snapshotIds === undefined) errors.push({ field: 'snapshotIds', message: 'is required: the snapshots to restore' });
  else errors.push(...idList(snapshotIds, 'snapshotIds', SNAPSHOT_ID, 'a snapshot id (64 hex digits)'));
  if (strategy === undefined) {
    errors.push({ field: 'strategy', message: `is required: one of ${RESTORE_STRATEGIES.join(', ')}` });
  } else if (typeof strategy !== 'string' || !(RESTORE_STRATEGIES as readonly string[]).includes(strategy)) {
    errors.push({ field: 'strategy', message: `must be one of ${RESTORE_STRATEGIES.join(', ')}` });
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return { snapshotIds: [...new Set(snapshotIds as string[])], strategy: strategy as RestoreStrategy };
}

function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw FedopsError.validation([{ field: '(body)', message: 'must be a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

function unknownFields(object: Record<string, unknown>, known: string[]): FieldError[] {
  return Object.keys(object)
    .filter((key) => !known.includes(key))
    .map((key) => ({ field: key, message: `is not a known field (${known.join(', ')})` }));
}

function idList(value: unknown, field: string, pattern: RegExp, what: string): FieldError[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ITEMS) {
    return [{ field, message: `must be a list of 1 to ${MAX_ITEMS} items, each ${what}` }];
  }
  return value.flatMap((item: unknown, i) =>
    typeof item === 'string' && pattern.test(item) ? [] : [{ field: `${field}[${i}]`, message: `must be ${what}` }],
  );
}
