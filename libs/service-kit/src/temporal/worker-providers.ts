import type { InjectionToken, Provider } from '@nestjs/common';
import type { WorkerOptions } from '@temporalio/worker';
import type { CommonConfig } from '../config/config';
import { ReadinessRegistry } from '../health/readiness.registry';
import { JsonLogger } from '../logging/json-logger';
import { ServiceMetrics } from '../metrics/service-metrics';
import { COMMON_CONFIG } from '../service-kit.module';
import { TemporalWorkerHost } from './temporal-worker-host';
import { WorkerLifecycle } from './worker-lifecycle';

export interface WorkerProvidersOptions {
  taskQueue: string;
  /** Tokens of the services the activities are built from, in the order `activities` takes them. */
  inject: InjectionToken[];
  /** Activity factory, e.g. `(machines: MachineService) => createProvisionerActivities({ machines })`. */
  // Nest resolves `inject` to instances of differing types; the factory's own signature types them.
  activities: (...deps: never[]) => object;
  workflowsPath?: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/**
 * Providers that run one Temporal worker inside a Nest app: the activities are built from injected
 * services (Nest DI stops there), the worker starts after bootstrap and drains before shutdown.
 */
export function workerProviders(options: WorkerProvidersOptions): Provider[] {
  const hostToken = Symbol(`worker:${options.taskQueue}`);
  return [
    {
      provide: hostToken,
      inject: [COMMON_CONFIG, ServiceMetrics, JsonLogger, ...options.inject],
      useFactory: (config: CommonConfig, metrics: ServiceMetrics, logger: JsonLogger, ...deps: never[]) =>
        new TemporalWorkerHost(
          {
            address: config.temporalAddress,
            namespace: config.temporalNamespace,
            taskQueue: options.taskQueue,
            activities: options.activities(...deps),
            ...(options.workflowsPath !== undefined ? { workflowsPath: options.workflowsPath } : {}),
            ...(options.workflowBundle !== undefined ? { workflowBundle: options.workflowBundle } : {}),
          },
          metrics,
          logger,
        ),
    },
    {
      provide: Symbol(`worker-lifecycle:${options.taskQueue}`),
      inject: [hostToken, ReadinessRegistry],
      useFactory: (host: TemporalWorkerHost, readiness: ReadinessRegistry) =>
        new WorkerLifecycle(host, readiness),
    },
  ];
}
