import type { TenantApiActivities } from '@fedops/contracts';
import type { TenantService } from '../tenants/tenant.service';
import type { Orchestrator } from './orchestrator';

/** Activities tenant-api hosts on its own task queue: recording workflow outcomes, cancelling a deployment. */
export function createTenantApiActivities(deps: {
  tenants: TenantService;
  orchestrator: Orchestrator;
}): TenantApiActivities {
  return {
    setTenantStatus: (input) => deps.tenants.setStatus(input),
    cancelDeployment: async ({ tenantId }) => ({
      cancelled: await deps.orchestrator.cancelDeployAndWait(tenantId),
    }),
  };
}
