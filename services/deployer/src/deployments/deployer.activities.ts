import { Context } from '@temporalio/activity';
import type { DeployerActivities } from '@fedops/contracts';
import type { DeploymentService } from './deployment.service';

export function createDeployerActivities(deps: { deployments: DeploymentService }): DeployerActivities {
  return {
    // A cancelled activity (a cancelled operation) ends the remote commands of the deployment.
    deployConfiguration: (input) => deps.deployments.deploy(input, Context.current().cancellationSignal),
    removeDeployments: async ({ tenantId }) => ({ removed: await deps.deployments.removeAll(tenantId) }),
    findDrift: () => deps.deployments.findDrift(),
  };
}
