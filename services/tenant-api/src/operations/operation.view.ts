import type { OperationKind, OperationStatus, OperationStep } from '@fedops/contracts';
import type { Principal } from '../auth';
import { OPERATION_KIND_SPECS } from './operation-kinds';
import type { OperationEntity } from './operation.entity';

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
