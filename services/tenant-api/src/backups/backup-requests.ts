import {
  RESTORE_STRATEGIES,
  RETENTION_KEYS,
  type BackupPolicy,
  type RestoreStrategy,
  type RetentionPolicy,
} from '@fedops/contracts';
import { FedopsError, type FieldError } from '@fedops/domain';

/** `POST /v1/tenants/{id}/backups`: which apps (`{}`: every app of the tenant). */
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
  const object = requireObject(body);
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
  if (snapshotIds === undefined)
    errors.push({ field: 'snapshotIds', message: 'is required: the snapshots to restore' });
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
    typeof item === 'string' && pattern.test(item)
      ? []
      : [{ field: `${field}[${i}]`, message: `must be ${what}` }],
  );
}

const POLICY_FIELDS = ['intervalHours', 'retention', 'checkIntervalDays', 'checkReadDataPercent'];

/** `PUT /v1/tenants/{id}/backup-policy`: the whole policy; a retention that keeps nothing is refused. */
export function parseBackupPolicy(body: unknown): BackupPolicy {
  const object = requireObject(body);
  const errors = unknownFields(object, POLICY_FIELDS);
  const int = (field: string, min: number, max: number): number => {
    const value = object[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      errors.push({ field, message: `is required: an integer from ${min} to ${max}` });
      return min;
    }
    return value;
  };
  const intervalHours = int('intervalHours', 0, 168);
  const checkIntervalDays = int('checkIntervalDays', 1, 90);
  const checkReadDataPercent = int('checkReadDataPercent', 1, 100);
  const retention: RetentionPolicy = {};
  const raw = object['retention'];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errors.push({ field: 'retention', message: `is required: an object with ${RETENTION_KEYS.join(', ')}` });
  } else {
    const entries = raw as Record<string, unknown>;
    errors.push(
      ...unknownFields(entries, [...RETENTION_KEYS]).map((e) => ({ ...e, field: `retention.${e.field}` })),
    );
    for (const key of RETENTION_KEYS) {
      const value = entries[key];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1000) {
        errors.push({ field: `retention.${key}`, message: 'must be an integer from 1 to 1000' });
      } else retention[key] = value;
    }
    if (RETENTION_KEYS.every((key) => entries[key] === undefined)) {
      errors.push({
        field: 'retention',
        message: `keeps nothing: set at least one of ${RETENTION_KEYS.join(', ')} (every snapshot would be forgotten)`,
      });
    }
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return { intervalHours, retention, checkIntervalDays, checkReadDataPercent };
}
