import { Injectable } from '@nestjs/common';
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import {
  TaskQueue,
  workflowIds,
  type DeployTenantInput,
  type DestroyTenantInput,
  type OperationProgress,
} from '@fedops/contracts';
import { deployTenant, destroyTenant, progressQuery } from '@fedops/workflows';
import { ServiceMetrics } from '@fedops/service-kit';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';

export interface OperationView {
  id: string;
  kind: OperationProgress['kind'];
  tenantId: string;
  status: string;
  startedAt?: string;
  closedAt?: string;
  steps: OperationProgress['steps'];
}

/** Starts and inspects the tenant workflows. Workflow ids come from the tenant id, so starts are idempotent. */
@Injectable()
export class Orchestrator {
  constructor(
    private readonly client: Client,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** Starts deployTenant unless a workflow with its id ran or runs already; returns the operation id. */
  startDeploy(input: DeployTenantInput): Promise<string> {
    return this.startOnce(deployTenant, workflowIds.deployTenant(input.tenantId), input, 'REJECT_DUPLICATE');
  }

  /** Starts destroyTenant unless it runs or already succeeded; returns the operation id. */
  startDestroy(input: DestroyTenantInput): Promise<string> {
    // A destroy that failed (something could not be removed) may run again; one that succeeded may not.
    return this.startOnce(
      destroyTenant,
      workflowIds.destroyTenant(input.tenantId),
      input,
      'ALLOW_DUPLICATE_FAILED_ONLY',
    );
  }

  /** Cancels a running deployTenant and waits until its compensations have run; false if none ran. */
  async cancelDeployAndWait(tenantId: string): Promise<boolean> {
    const handle = this.client.workflow.getHandle(workflowIds.deployTenant(tenantId));
    try {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') return false;
      await handle.cancel();
      await handle.result().catch(() => undefined);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Status and steps of an operation, or undefined if Temporal does not know it. */
  async describe(operationId: string): Promise<OperationView | undefined> {
    const handle = this.client.workflow.getHandle(operationId);
    let description: WorkflowExecutionDescription;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
    // A closed workflow answers queries by replay on a worker: without one, say so instead of a bare 500.
    const progress = await handle.query(progressQuery).catch((err: unknown) => {
      throw new FedopsError(
        FedopsErrorCode.ProviderFailed,
        `The steps of ${operationId} are unavailable: no orchestration worker answered; try again shortly`,
        { cause: err },
      );
    });
    return {
      id: operationId,
      kind: progress.kind,
      tenantId: progress.tenantId,
      status: description.status.name,
      startedAt: description.startTime.toISOString(),
      ...(description.closeTime !== undefined ? { closedAt: description.closeTime.toISOString() } : {}),
      steps: progress.steps,
    };
  }

  private async startOnce<I>(
    workflow: (input: I) => Promise<unknown>,
    workflowId: string,
    input: I,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY',
  ): Promise<string> {
    try {
      await this.client.workflow.start(workflow, {
        taskQueue: TaskQueue.workflows,
        workflowId,
        args: [input],
        // A running run with this id is never started twice (the start fails with
        // WorkflowExecutionAlreadyStartedError), so retried requests and reconciler sweeps start nothing new.
        workflowIdReusePolicy,
      });
      this.metrics.workflowStarted.inc({ workflow: workflow.name });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        throw new Error(`Could not start workflow ${workflowId}`, { cause: err });
      }
    }
    return workflowId;
  }
}
