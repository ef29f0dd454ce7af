import type { DriftReport } from '@fedops/contracts';
import { serviceActivities } from './activity-options';

/**
 * Run by the Temporal Schedule `fedops-drift-check` (the deployer creates it): the deployer asks
 * every tenant's machine what it runs, and tenant-api records what differs from what fedops
 * activated last on the tenants (and announces it). Nothing is changed on any machine here: putting
 * the desired state back is an operation ops or the operator ask for (reconcile).
 */
export async function checkDrift(): Promise<DriftReport> {
  const { deployer, tenantApi } = serviceActivities();
  const report = await deployer.findDrift({});
  await tenantApi.recordDrift(report);
  return report;
}
