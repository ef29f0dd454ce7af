import { proxyActivities } from '@temporalio/workflow';
import { SERVICE_ACTIVITY_OPTIONS } from '@fedops/workflows';
import type { BaselineActivities } from './baseline.activities';

/**
 * The yardstick: the same shape as deployTenant (five activities in sequence, the same retry and
 * timeout options) with activities that do nothing, so its duration is Temporal's orchestration alone.
 */
const activities = proxyActivities<BaselineActivities>(SERVICE_ACTIVITY_OPTIONS);

export async function baselineDeploy(tenantId: string): Promise<void> {
  await activities.ensureMachine(tenantId);
  await activities.applyTenantRecords(tenantId);
  await activities.deployConfiguration(tenantId);
  await activities.initRepository(tenantId);
  await activities.setTenantStatus(tenantId);
}
