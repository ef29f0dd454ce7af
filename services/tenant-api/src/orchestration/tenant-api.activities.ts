import type { TenantApiActivities } from '@fedops/contracts';
import type { TenantService } from '../tenants/tenant.service';

/** Activities tenant-api hosts on its own task queue: recording workflow outcomes in the desired state. */
export function createTenantApiActivities(deps: { tenants: TenantService }): TenantApiActivities {
  return {
    setTenantStatus: (input) => deps.tenants.setStatus(input),
  };
}
