import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { TaskQueue } from '@fedops/contracts';
import { describeError } from '@fedops/domain';
import { JsonLogger } from '../logging/json-logger';

export interface WorkflowScheduleOptions {
  temporalAddress: string;
  temporalNamespace: string;
  /** One per Temporal namespace; its runs get the workflow id `<scheduleId>-run`. */
  scheduleId: string;
  /** The workflow (by its function's name in workflows/) each run starts, without arguments. */
  workflowType: string;
  intervalSeconds: number;
  /** What the runs do, for the log ("machine reconciler"). */
  what: string;
}

/**
 * Makes sure a Temporal Schedule that runs a workflow every `intervalSeconds` exists (created by
 * whichever replica of the service boots first; the others update its interval). Overlapping runs
 * are skipped: a slow run is never run twice at once.
 */
@Injectable()
export class WorkflowSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log;
  private connection: Connection | undefined;

  constructor(
    private readonly options: WorkflowScheduleOptions,
    logger: JsonLogger,
  ) {
    this.log = logger.child('schedule');
  }

  async onApplicationBootstrap(): Promise<void> {
    const { scheduleId, workflowType, intervalSeconds, what } = this.options;
    this.connection = await Connection.connect({ address: this.options.temporalAddress });
    const client = new Client({ connection: this.connection, namespace: this.options.temporalNamespace });
    const every = intervalSeconds * 1000;
    try {
      await client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every }] },
        action: {
          type: 'startWorkflow',
          workflowType,
          workflowId: `${scheduleId}-run`,
          taskQueue: TaskQueue.workflows,
          args: [],
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
      });
      this.log.info(`${what} scheduled`, { scheduleId, everySeconds: intervalSeconds });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) {
        this.log.error(`could not schedule the ${what}`, { scheduleId, error: describeError(err) });
        throw err;
      }
      await client.schedule.getHandle(scheduleId).update((previous) => ({
        ...previous,
        spec: { intervals: [{ every }] },
      }));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection?.close();
  }
}
