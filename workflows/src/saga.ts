import { CancellationScope, log } from '@temporalio/workflow';

interface Compensation {
  step: string;
  undo: () => Promise<unknown>;
}

/**
 * Compensation stack: push an undo after each successful step; on failure run them in reverse,
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
          log.error('compensation failed', { step, error: err instanceof Error ? err.message : String(err) });
          onUndone(step, err);
        }
      }
    });
  }
}
