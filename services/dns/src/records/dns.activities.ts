import type { DnsActivities } from '@fedops/contracts';
import type { TenantRecordsService } from './tenant-records.service';

export function createDnsActivities(deps: { records: TenantRecordsService }): DnsActivities {
  return {
    applyTenantRecords: (input) => deps.records.apply(input),
    removeTenantRecords: async ({ tenantId }) => ({ removed: await deps.records.remove(tenantId) }),
  };
}
