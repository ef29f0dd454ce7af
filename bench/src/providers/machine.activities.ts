import { Context } from '@temporalio/activity';
import { activityCallContext } from '@fedops/provisioner/dist/drivers/call-context';
import {
  OWNER_LABELS,
  type DriverCallContext,
  type MachineSpec,
  type ResourceProviderDriver,
} from '@fedops/provisioner/dist/drivers/resource-provider.driver';

/** The two activities of the providers benchmark, one driver call sequence per attempt. */
export interface MachineActivities {
  /** Creates (or, on a retry, finds) the machine of this id; its provider id. */
  createMachine(machineId: string): Promise<string>;
  /** Deletes the machine and anything else carrying its id; false when nothing was left to delete. */
  destroyMachine(input: { machineId: string; providerId?: string }): Promise<boolean>;
}

/** Attempts counted in the bench process (every attempt of an activity runs here). */
export class AttemptCounts {
  create = 0;
  delete = 0;
  failedCreate = 0;
  failedDelete = 0;
  /** Failed attempts by message (ids and numbers masked), for the report. */
  readonly failureKinds = new Map<string, number>();

  reset(): void {
    this.create = this.delete = this.failedCreate = this.failedDelete = 0;
    this.failureKinds.clear();
  }

  noteFailure(err: unknown): void {
    const what = (err instanceof Error ? err.message : String(err))
      .replace(/UPID:\S+/g, 'UPID')
      .replace(/https?:\/\/\S+/g, 'URL')
      .replace(/\b(?=[0-9a-f-]*[a-f])(?=[0-9a-f-]*\d)[0-9a-f][0-9a-f-]{5,}\b/g, 'ID')
      .replace(/\d+/g, 'N')
      .slice(0, 200);
    this.failureKinds.set(what, (this.failureKinds.get(what) ?? 0) + 1);
  }
}

export interface MachineActivityDeps {
  driver: ResourceProviderDriver;
  /** The machine's spec, made before the run (host key included, as the provisioner pins it first). */
  specOf(machineId: string): MachineSpec;
  /** Called when a create attempt succeeded, with its attempt number (1 = no retry). */
  onCreated(machineId: string, providerId: string, attempt: number): void;
  counts: AttemptCounts;
}

/**
 * The activities call the driver as the provisioner's ensureMachine and destroyMachine do: with the
 * activity's cancellation and heartbeat (activityCallContext), letting every error through; the
 * worker's interceptor (service-kit) turns ProviderErrors into retryable or non-retryable failures.
 */
export function createMachineActivities(deps: MachineActivityDeps): MachineActivities {
  const counted = async <T>(kind: 'create' | 'delete', work: () => Promise<T>): Promise<T> => {
    deps.counts[kind] += 1;
    try {
      return await work();
    } catch (err) {
      if (kind === 'create') deps.counts.failedCreate += 1;
      else deps.counts.failedDelete += 1;
      deps.counts.noteFailure(err);
      throw err;
    }
  };
  return {
    createMachine: (machineId) =>
      counted('create', async () => {
        const machine = await deps.driver.create(deps.specOf(machineId), activityCallContext());
        deps.onCreated(machineId, machine.providerId, Context.current().info.attempt);
        return machine.providerId;
      }),
    destroyMachine: ({ machineId, providerId }) =>
      counted('delete', () => deleteEverywhere(deps.driver, machineId, providerId, activityCallContext())),
  };
}

/**
 * What MachineService.destroy does with a machine (services/provisioner/src/machines/machine.service.ts,
 * deleteEverywhere): the machine it knows by provider id, then whatever else carries its machine id.
 */
export async function deleteEverywhere(
  driver: ResourceProviderDriver,
  machineId: string,
  providerId: string | undefined,
  ctx: DriverCallContext,
): Promise<boolean> {
  let removed = false;
  if (providerId !== undefined) removed = await driver.delete(providerId, ctx);
  const labelled = await driver.listByLabels({ [OWNER_LABELS.machineId]: machineId }, ctx);
  for (const machine of labelled) removed = (await driver.delete(machine.providerId, ctx)) || removed;
  return removed;
}
