/**
 * Operations: every change to a tenant is one, stored as a row by tenant-api and carried out by one
 * workflow run whose workflow id is the operation id. A new kind adds an entry here and a workflow,
 * never a new id pattern.
 */
export const OPERATION_KINDS = ['deploy', 'update', 'reconcile', 'backup', 'restore', 'destroy'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/**
 * `pending`: stored, its workflow not started yet (the reconciler starts it if the request died);
 * `cancelling`: a cancel was asked and the workflow is undoing what it did.
 */
export const OPERATION_STATUSES = [
  'pending',
  'running',
  'cancelling',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** Statuses of an operation that has not ended (its workflow may still act). */
export const OPEN_OPERATION_STATUSES = [
  'pending',
  'running',
  'cancelling',
] as const satisfies readonly OperationStatus[];

export const FINAL_OPERATION_STATUSES = [
  'succeeded',
  'failed',
  'cancelled',
] as const satisfies readonly OperationStatus[];
export type FinalOperationStatus = (typeof FINAL_OPERATION_STATUSES)[number];

export function isFinalOperationStatus(status: OperationStatus): status is FinalOperationStatus {
  return (FINAL_OPERATION_STATUSES as readonly string[]).includes(status);
}

/** How an operation's workflow ended, as the workflow reports it. */
export interface OperationOutcome {
  status: FinalOperationStatus;
  /** The step that failed, when one did. */
  failedStep?: string;
  /** The failure's type (a FedopsErrorCode for domain errors), used to choose the operator's message. */
  errorType?: string;
  /** The raw failure message, for ops only. */
  errorDetail?: string;
}
