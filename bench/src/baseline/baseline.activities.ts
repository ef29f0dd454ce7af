/** The five activities of deployTenant, as no-ops (see baseline.workflow.ts). */
export interface BaselineActivities {
  ensureMachine(tenantId: string): Promise<void>;
  applyTenantRecords(tenantId: string): Promise<void>;
  deployConfiguration(tenantId: string): Promise<void>;
  initRepository(tenantId: string): Promise<void>;
  setTenantStatus(tenantId: string): Promise<void>;
}

/** The number of activities deployTenant runs on its success path (workflows/src/deploy-tenant.workflow.ts). */
export const BASELINE_ACTIVITY_COUNT = 5;

export function createBaselineActivities(): BaselineActivities {
  const noop = (_tenantId: string): Promise<void> => Promise.resolve();
  return {
    ensureMachine: noop,
    applyTenantRecords: noop,
    deployConfiguration: noop,
    initRepository: noop,
    setTenantStatus: noop,
  };
}
