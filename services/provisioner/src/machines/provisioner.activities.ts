import type { ProvisionerActivities } from '@fedops/contracts';
import type { MachineService } from './machine.service';

export function createProvisionerActivities(deps: { machines: MachineService }): ProvisionerActivities {
  return {
    ensureMachine: ({ tenantId, provider }) => deps.machines.ensure(tenantId, provider),
    destroyMachine: async ({ tenantId, provider }) => ({
      destroyed: await deps.machines.destroy(tenantId, provider),
    }),
  };
}
