import {
  ActivityFailure,
  ChildWorkflowFailure,
  defineQuery,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import { PROGRESS_QUERY_NAME, type OperationProgress, type OperationStep } from '@fedops/contracts';

export const progressQuery = defineQuery<OperationProgress>(PROGRESS_QUERY_NAME);

/** The steps of one tenant workflow, as the `progress` query shows them. */
export class OperationTracker {
  private readonly steps: OperationStep[];

  constructor(
    private readonly kind: OperationProgress['kind'],
    private readonly tenantId: string,
    stepNames: string[],
  ) {
    this.steps = stepNames.map((name) => ({ name, status: 'pending' }));
    setHandler(progressQuery, () => ({ kind: this.kind, tenantId: this.tenantId, steps: this.steps }));
  }

  /** Runs one step, recording start, end and failure. */
  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const step = this.step(name);
    step.status = 'running';
    step.startedAt = new Date().toISOString();
    try {
      const result = await fn();
      step.status = 'succeeded';
      return result;
    } catch (err) {
      step.status = 'failed';
      step.error = failureMessage(err);
      throw err;
    } finally {
      step.finishedAt = new Date().toISOString();
    }
  }

  /** Records the outcome of a step's undo: compensated, or compensation-failed with the reason. */
  markCompensated(name: string, failure?: unknown): void {
    const step = this.step(name);
    if (failure === undefined) {
      // A step that failed stays `failed` (with its error); what it did half-way is undone all the same.
      if (step.status !== 'failed') step.status = 'compensated';
    } else {
      step.status = 'compensation-failed';
      step.error = failureMessage(failure);
    }
  }

  private step(name: string): OperationStep {
    const step = this.steps.find((s) => s.name === name);
    if (step === undefined) throw new Error(`Unknown step ${name}`);
    return step;
  }
}

/** The message worth recording for a failure: the activity's own error, not "Activity task failed". */
export function failureMessage(err: unknown): string {
  if (isCancellation(err)) return 'cancelled';
  let cause: unknown = err;
  while (
    (cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) &&
    cause.cause !== undefined
  ) {
    cause = cause.cause;
  }
  return cause instanceof Error ? cause.message : String(cause);
}
