import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { ServiceMetrics } from '../metrics/service-metrics';
import type { JsonLogger } from '../logging/json-logger';
import { ActivityMetricsInterceptor } from './activity-metrics.interceptor';
import { installTemporalRuntime } from './temporal-runtime';
import { describeError } from '@fedops/domain';

export interface TemporalWorkerHostOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  activities: object;
  /** For the worker that runs the orchestration workflows. */
  workflowsPath?: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
}

/**
 * Owns one Temporal worker: connects, runs it in the background, reports whether it runs (for /readyz),
 * and drains it on shutdown (in-flight activities finish or time out before the process exits).
 */
export class TemporalWorkerHost {
  private connection?: NativeConnection;
  private worker?: Worker;
  private running?: Promise<void>;
  private failed?: unknown;

  constructor(
    private readonly options: TemporalWorkerHostOptions,
    private readonly metrics: ServiceMetrics,
    private readonly logger: JsonLogger,
    /** Called when the worker stops by itself with an error; the default ends the process so a supervisor restarts it. */
    private readonly onFatal: (err: unknown) => void = () => process.exit(1),
  ) {}

  async start(): Promise<void> {
    const log = this.logger.child('temporal-worker');
    installTemporalRuntime(this.logger);
    this.connection = await NativeConnection.connect({ address: this.options.address });
    this.worker = await Worker.create({
      connection: this.connection,
      namespace: this.options.namespace,
      taskQueue: this.options.taskQueue,
      activities: this.options.activities,
      ...(this.options.workflowsPath !== undefined ? { workflowsPath: this.options.workflowsPath } : {}),
      ...(this.options.workflowBundle !== undefined ? { workflowBundle: this.options.workflowBundle } : {}),
      maxConcurrentActivityTaskExecutions: this.options.maxConcurrentActivityTaskExecutions ?? 20,
      shutdownGraceTime: '20s',
      interceptors: {
        activity: [(ctx) => ({ inbound: new ActivityMetricsInterceptor(ctx, this.metrics, log) })],
      },
    });
    this.running = this.worker.run().then(
      () => log.info('worker stopped', { taskQueue: this.options.taskQueue }),
      (err: unknown) => {
        this.failed = err;
        log.error('worker failed', { taskQueue: this.options.taskQueue, error: describeError(err) });
        this.onFatal(err);
      },
    );
    log.info('worker started', { taskQueue: this.options.taskQueue, namespace: this.options.namespace });
  }

  isRunning(): boolean {
    return this.worker?.getState() === 'RUNNING' && this.failed === undefined;
  }

  async stop(): Promise<void> {
    if (this.worker !== undefined && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running;
    await this.connection?.close();
  }
}
