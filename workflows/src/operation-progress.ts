import { defineQuery, setHandler } from '@temporalio/workflow';
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
      step.error = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      step.finishedAt = new Date().toISOString();
    }
  }

  markCompensated(name: string): void {
    this.step(name).status = 'compensated';
  }

  private step(name: string): OperationStep {
    const step = this.steps.find((s) => s.name === name);
    if (step === undefined) throw new Error(`Unknown step ${name}`);
    return step;
  }
}
