import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  defineQuery,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import {
  PROGRESS_QUERY_NAME,
  type OperationOutcome,
  type OperationProgress,
  type OperationStep,
} from '@fedops/contracts';

export const progressQuery = defineQuery<OperationProgress>(PROGRESS_QUERY_NAME);

/**
 * Patch: every step's start and end is reported to tenant-api (recordOperationProgress), which keeps
 * the operation's steps in its row and announces them; the outcome names the failed step. Runs
 * recorded before it report nothing until their end (workflows/test/histories/*-v3.json).
 */
export const OPERATION_PROGRESS_REPORTS_PATCH = 'operation-progress-reports';

/** Sends a copy of the steps somewhere durable; awaited, so reports arrive in order. */
export type ProgressReporter = (steps: OperationStep[]) => Promise<void>;

/** The steps of one tenant workflow, as the `progress` query shows them and the reporter records them. */
export class OperationTracker {
  private readonly steps: OperationStep[];

  constructor(
    private readonly kind: OperationProgress['kind'],
    private readonly tenantId: string,
    stepNames: string[],
    private readonly report?: ProgressReporter,
  ) {
    this.steps = stepNames.map((name) => ({ name, status: 'pending' }));
    setHandler(progressQuery, () => ({ kind: this.kind, tenantId: this.tenantId, steps: this.steps }));
  }

  /** Runs one step, recording (and reporting) its start, end and failure. */
  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const step = this.step(name);
    step.status = 'running';
    step.startedAt = new Date().toISOString();
    try {
      await this.report?.(this.snapshot());
      const result = await fn();
      step.status = 'succeeded';
      step.finishedAt = new Date().toISOString();
      await this.report?.(this.snapshot());
      return result;
    } catch (err) {
      // A failure of the step (or of its report): the outcome carries it, so it is not reported here.
      if (step.status === 'running') {
        step.status = 'failed';
        step.error = failureMessage(err);
        step.finishedAt = new Date().toISOString();
      }
      throw err;
    } finally {
      step.finishedAt ??= new Date().toISOString();
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

  /** A copy of the steps (activity inputs are serialised later; the tracker keeps changing its own). */
  snapshot(): OperationStep[] {
    return this.steps.map((s) => ({ ...s }));
  }

  /** How the workflow ended after `err` (or successfully, without it). */
  outcome(err?: unknown): OperationOutcome {
    if (err === undefined) return { status: 'succeeded' };
    const failedStep = this.steps.find((s) => s.status === 'failed')?.name;
    const errorType = failureType(err);
    return {
      status: isCancellation(err) ? 'cancelled' : 'failed',
      ...(failedStep !== undefined ? { failedStep } : {}),
      ...(errorType !== undefined ? { errorType } : {}),
      errorDetail: failureMessage(err),
    };
  }

  private step(name: string): OperationStep {
    const step = this.steps.find((s) => s.name === name);
    if (step === undefined) throw new Error(`Unknown step ${name}`);
    return step;
  }
}

/** The innermost failure: the activity's own error, not "Activity task failed". */
function rootFailure(err: unknown): unknown {
  let cause: unknown = err;
  while (
    (cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) &&
    cause.cause !== undefined
  ) {
    cause = cause.cause;
  }
  return cause;
}

/** The message worth recording for a failure: the activity's own error, not "Activity task failed". */
export function failureMessage(err: unknown): string {
  if (isCancellation(err)) return 'cancelled';
  const cause = rootFailure(err);
  return cause instanceof Error ? cause.message : String(cause);
}

/** The activity failure's type (a FedopsErrorCode for domain errors, else the error's class name). */
function failureType(err: unknown): string | undefined {
  const cause = rootFailure(err);
  return cause instanceof ApplicationFailure && typeof cause.type === 'string' ? cause.type : undefined;
}
