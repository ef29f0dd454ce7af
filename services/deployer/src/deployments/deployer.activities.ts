import type { DeployerActivities } from '@fedops/contracts';
import { withHeartbeat } from '@fedops/service-kit';
import type { DeploymentService } from './deployment.service';

export function createDeployerActivities(deps: { deployments: DeploymentService }): DeployerActivities {
  return {
    deployConfiguration: (input) => withHeartbeat(() => deps.deployments.deploy(input)),
    removeDeployments: async ({ tenantId }) => ({ removed: await deps.deployments.removeAll(tenantId) }),
  };
}
