import type { TenantApiActivities } from '@fedops/contracts';
import type { OperationService } from '../operations/operation.service';

/** Activities tenant-api hosts on its own task queue: recording operations, cancelling superseded ones. */
export function createTenantApiActivities(deps: { operations: OperationService }): TenantApiActivities {
  return {
    setTenantStatus: (input) => deps.operations.recordOutcome(input),
    recordOperationProgress: (input) => deps.operations.recordProgress(input),
    cancelDeployment: async ({ tenantId, operationId }) => ({
      cancelled: await deps.operations.cancelSupersededAndWait(tenantId, operationId),
    }),
  };
}
