import type { DeployerActivities } from '@fedops/contracts';
import type { DeploymentService } from './deployment.service';

export function createDeployerActivities(deps: { deployments: DeploymentService }): DeployerActivities {
  return {
    deployConfiguration: (input) => deps.deployments.deploy(input),
    removeDeployments: async ({ tenantId }) => ({ removed: await deps.deployments.removeAll(tenantId) }),
  };
}
