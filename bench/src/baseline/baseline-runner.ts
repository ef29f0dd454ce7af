import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createBaselineActivities } from './baseline.activities';
import { baselineDeploy } from './baseline.workflow';

export const BASELINE_TASK_QUEUE = 'fedops-bench-baseline';

/** An in-process worker for the baseline workflow on its own task queue, and a way to time N runs. */
export class BaselineRunner {
  private constructor(
    private readonly worker: Worker,
    private readonly running: Promise<void>,
    private readonly client: Client,
  ) {}

  static async start(
    connection: NativeConnection,
    namespace: string,
    client: Client,
  ): Promise<BaselineRunner> {
    const worker = await Worker.create({
      connection,
      namespace,
      taskQueue: BASELINE_TASK_QUEUE,
      workflowsPath: require.resolve('./baseline.workflow'),
      activities: createBaselineActivities(),
    });
    const running = worker.run();
    return new BaselineRunner(worker, running, client);
  }

  /** Starts `count` baseline workflows at once; returns each one's start-to-result time (ms). */
  async run(count: number): Promise<number[]> {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const id = randomUUID();
        const started = performance.now();
        await this.client.workflow.execute(baselineDeploy, {
          taskQueue: BASELINE_TASK_QUEUE,
          workflowId: `bench-baseline-${id}`,
          args: [id],
          workflowExecutionTimeout: '5 minutes',
        });
        return performance.now() - started;
      }),
    );
  }

  /** Drains the worker and waits for run() to end. */
  async stop(): Promise<void> {
    if (this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running;
  }
}
