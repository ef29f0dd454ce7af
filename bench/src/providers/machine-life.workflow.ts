import {
  CancellationScope,
  condition,
  defineSignal,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { SERVICE_ACTIVITY_OPTIONS } from '@fedops/workflows';
import type { MachineActivities } from './machine.activities';

/** Sent to every workflow once all machines of the run exist (and have been counted). */
export const deleteMachineSignal = defineSignal('deleteMachine');

export interface MachineLifeInput {
  machineId: string;
  /** The task queue of the activity worker of the provider under test. */
  activityTaskQueue: string;
}

export interface MachineLifeResult {
  providerId: string;
  /** False when the machine was gone already (an earlier attempt of the delete removed it). */
  removed: boolean;
}

/**
 * One machine's life in the providers benchmark: create it, wait for the signal, destroy it. Both
 * activities run with the options of every service activity (SERVICE_ACTIVITY_OPTIONS: timeouts and
 * retry policy), so Temporal's retries are the only ones, as in production. A create that fails for
 * good is undone as deployTenant's saga undoes its provision step (destroyMachine by machine id),
 * then the workflow fails.
 */
export async function createThenDeleteMachine(input: MachineLifeInput): Promise<MachineLifeResult> {
  let deleteAsked = false;
  setHandler(deleteMachineSignal, () => {
    deleteAsked = true;
  });
  const activities = proxyActivities<MachineActivities>({
    ...SERVICE_ACTIVITY_OPTIONS,
    taskQueue: input.activityTaskQueue,
  });
  let providerId: string;
  try {
    providerId = await activities.createMachine(input.machineId);
  } catch (err) {
    await CancellationScope.nonCancellable(() => activities.destroyMachine({ machineId: input.machineId }));
    throw err;
  }
  await condition(() => deleteAsked);
  const removed = await activities.destroyMachine({ machineId: input.machineId, providerId });
  return { providerId, removed };
}
