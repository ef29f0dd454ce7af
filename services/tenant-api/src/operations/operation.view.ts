import type {
  OperationKind,
  OperationStatus,
  OperationStep,
  RestoreStrategy,
  SnapshotReason,
} from '@fedops/contracts';
import type { Principal } from '../auth';
import { OPERATION_KIND_SPECS } from './operation-kinds';
import type { OperationEntity, TenantChange } from './operation.entity';

/** The public representation of an operation. Raw failures (`errorDetail`, step errors) are for ops only. */
export interface OperationView {
  id: string;
  kind: OperationKind;
  tenantId: string;
  org: string;
  status: OperationStatus;
  requestedBy: string;
  steps: OperationStep[];
  failedStep?: string;
  error?: string;
  errorDetail?: string;
  retryOf?: string;
  /** What an update changes, by app id. */
  change?: { added: string[]; removed: string[]; changed: string[] };
  /** What a backup takes: the apps, and why. */
  backup?: { apps: string[]; reason: SnapshotReason };
  /** What a restore restores, and how. */
  restore?: { snapshotIds: string[]; strategy: RestoreStrategy };
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  links: { self: string; tenant: string; cancel?: string; retry?: string };
}

export function toOperationView(op: OperationEntity, principal: Principal): OperationView {
  const ops = principal.roles.includes('ops');
  const self = `/v1/operations/${op.id}`;
  const open = op.status === 'pending' || op.status === 'running';
  return {
    id: op.id,
    kind: op.kind,
    tenantId: op.tenantId,
    org: op.orgId,
    status: op.status,
    requestedBy: op.requestedBy,
    // A step's error is the raw failure; operators read the operation's curated `error` instead.
    steps: ops ? op.steps : op.steps.map(({ error: _raw, ...step }) => step),
    ...(op.failedStep !== null ? { failedStep: op.failedStep } : {}),
    ...(op.error !== null ? { error: op.error } : {}),
    ...(ops && op.errorDetail !== null ? { errorDetail: op.errorDetail } : {}),
    ...(op.retryOf !== null ? { retryOf: op.retryOf } : {}),
    ...(op.change !== null ? { change: changeSummary(op.change) } : {}),
    ...(op.params !== null && 'backup' in op.params
      ? { backup: { apps: op.params.backup.apps, reason: op.params.backup.reason } }
      : {}),
    ...(op.params !== null && 'restore' in op.params ? { restore: op.params.restore } : {}),
    createdAt: op.createdAt.toISOString(),
    ...(op.startedAt !== null ? { startedAt: op.startedAt.toISOString() } : {}),
    ...(op.finishedAt !== null ? { finishedAt: op.finishedAt.toISOString() } : {}),
    links: {
      self,
      tenant: `/v1/tenants/${op.tenantId}`,
      ...(open && OPERATION_KIND_SPECS[op.kind].cancellable ? { cancel: `${self}/cancel` } : {}),
      ...(op.status === 'failed' || op.status === 'cancelled' ? { retry: `${self}/retry` } : {}),
    },
  };
}

/** The app ids an update adds, removes, and whose options it changes; each list sorted. */
export function changeSummary(change: TenantChange): {
  added: string[];
  removed: string[];
  changed: string[];
} {
  const before = new Map(change.from.apps.map((a) => [a.app, a.options]));
  const after = new Map(change.to.apps.map((a) => [a.app, a.options]));
  const sorted = (ids: string[]): string[] => ids.sort((a, b) => a.localeCompare(b, 'en'));
  return {
    added: sorted([...after.keys()].filter((id) => !before.has(id))),
    removed: sorted([...before.keys()].filter((id) => !after.has(id))),
    changed: sorted(
      [...after.entries()]
        .filter(([id, options]) => before.has(id) && !sameOptions(before.get(id) ?? {}, options))
        .map(([id]) => id),
    ),
  };
}

function sameOptions(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}
