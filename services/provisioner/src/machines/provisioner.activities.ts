import type { ProvisionerActivities } from '@fedops/contracts';
import { activityCallContext } from '../drivers/call-context';
import type { MachineReconciler } from '../reconciliation/machine-reconciler.service';
import type { MachineService } from './machine.service';

export function createProvisionerActivities(deps: {
  machines: MachineService;
  reconciler: MachineReconciler;
}): ProvisionerActivities {
  return {
    reconcileMachines: () => deps.reconciler.reconcile(activityCallContext()),
    ensureMachine: (input) => deps.machines.ensure(input, activityCallContext()),
    findMachines: async ({ tenantId }) => ({ machines: await deps.machines.findForTenant(tenantId) }),
    destroyMachine: async (input) => ({
      destroyed: await deps.machines.destroy(input, activityCallContext()),
    }),
  };
}
