import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import type { ReadinessRegistry } from '../health/readiness.registry';
import type { TemporalWorkerHost } from './temporal-worker-host';

/**
 * Nest DI stops at the worker boundary: a service module builds its activities from injected
 * services, wraps them in a TemporalWorkerHost, and hands it to this lifecycle, which starts the
 * worker after bootstrap and drains it before the database and NATS close.
 */
export class WorkerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly host: TemporalWorkerHost,
    readiness: ReadinessRegistry,
  ) {
    readiness.add({
      name: 'temporal-worker',
      check: async () => {
        if (!this.host.isRunning()) throw new Error('worker is not running');
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.host.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.host.stop();
  }
}
