import { CancellationScope, log } from '@temporalio/workflow';
import { failureMessage } from './operation-progress';

interface Compensation {
  step: string;
  undo: () => Promise<unknown>;
}

/**
 * Compensation stack: push each step's undo (idempotent, so it may run for a step that failed half-way); on failure run them in reverse,
 * in a non-cancellable scope (so a cancelled workflow still cleans up), logging and continuing past
 * an undo that fails.
 */
export class Saga {
  private readonly stack: Compensation[] = [];

  push(step: string, undo: () => Promise<unknown>): void {
    this.stack.push({ step, undo });
  }

  async compensate(onUndone: (step: string, failure?: unknown) => void): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      for (const { step, undo } of [...this.stack].reverse()) {
        try {
          await undo();
          onUndone(step);
        } catch (err) {
          log.error('compensation failed', { step, error: failureMessage(err) });
          onUndone(step, err);
        }
      }
    });
  }
}
