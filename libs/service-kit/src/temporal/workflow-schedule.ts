import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { MACHINE_RECONCILER_SCHEDULE_ID, RECONCILE_MACHINES_WORKFLOW, TaskQueue } from '@fedops/contracts';
import { describeError } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';

export interface ReconcilerScheduleOptions {
  temporalAddress: string;
  temporalNamespace: string;
  intervalSeconds: number;
}

/**
 * Makes sure the Temporal Schedule that runs `reconcileMachines` exists with the configured interval
 * (created by whichever provisioner replica boots first; others update it). Overlapping runs are
 * skipped: a slow reconciliation is never run twice at once.
 */
@Injectable()
export class ReconcilerSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log;
  private connection: Connection | undefined;

  constructor(
    private readonly options: ReconcilerScheduleOptions,
    logger: JsonLogger,
  ) {
    this.log = logger.child('reconciler-schedule');
  }

  async onApplicationBootstrap(): Promise<void> {
    this.connection = await Connection.connect({ address: this.options.temporalAddress });
    const client = new Client({ connection: this.connection, namespace: this.options.temporalNamespace });
    const every = this.options.intervalSeconds * 1000;
    try {
      await client.schedule.create({
        scheduleId: MACHINE_RECONCILER_SCHEDULE_ID,
        spec: { intervals: [{ every }] },
        action: {
          type: 'startWorkflow',
          workflowType: RECONCILE_MACHINES_WORKFLOW,
          workflowId: `${MACHINE_RECONCILER_SCHEDULE_ID}-run`,
          taskQueue: TaskQueue.workflows,
          args: [],
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
      });
      this.log.info('machine reconciler scheduled', { everySeconds: this.options.intervalSeconds });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) {
        this.log.error('could not schedule the machine reconciler', { error: describeError(err) });
        throw err;
      }
      await client.schedule.getHandle(MACHINE_RECONCILER_SCHEDULE_ID).update((previous) => ({
        ...previous,
        spec: { intervals: [{ every }] },
      }));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection?.close();
  }
}
