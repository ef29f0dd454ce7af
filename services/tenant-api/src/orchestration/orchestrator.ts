import { Injectable } from '@nestjs/common';
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { TaskQueue, type UpdateTenantInput } from '@fedops/contracts';
import { backupTenant, deployTenant, destroyTenant, restoreTenant, updateTenant } from '@fedops/workflows';
import { ServiceMetrics } from '@fedops/service-kit';
import { OPERATION_KIND_SPECS } from '../operations/operation-kinds';
import type { OperationEntity, TenantChange } from '../operations/operation.entity';
import type { TenantEntity } from '../tenants/tenant.entity';

/** How Temporal sees an operation's workflow: running, closed (with Temporal's status name) or unknown. */
export type WorkflowState = { state: 'running' } | { state: 'closed'; status: string } | { state: 'missing' };

/**
 * Starts, cancels and inspects the workflow of an operation. The workflow id is the operation id,
 * which is unique, so a start repeated by a retried request or the reconciler starts nothing new.
 */
@Injectable()
export class Orchestrator {
  constructor(
    private readonly client: Client,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** Starts the operation's workflow unless it ran or runs already. */
  async start(op: OperationEntity, tenant: TenantEntity): Promise<void> {
    const { kind, id: operationId } = op;
    try {
      switch (kind) {
        case 'deploy':
          await this.client.workflow.start(deployTenant, {
            ...this.startOptions(operationId),
            args: [
              {
                tenantId: tenant.id,
                orgId: tenant.orgId,
                domain: tenant.domain,
                apps: tenant.apps,
                hostnames: tenant.hostnames,
                provider: tenant.provider,
                // Chosen when the tenant was stored: every deploy of it (retries too) makes the same machine.
                ...(tenant.placement ? { placement: tenant.placement } : {}),
              },
            ],
          });
          break;
        case 'update':
          if (op.change === null) throw new Error(`Update operation ${operationId} carries no change`);
          await this.client.workflow.start(updateTenant, {
            ...this.startOptions(operationId),
            args: [updateInput(tenant, op.change)],
          });
          break;
        case 'reconcile': {
          // The apps the tenant should run, before and after: the machine gets them back.
          const current = { apps: tenant.apps, hostnames: tenant.hostnames };
          await this.client.workflow.start(updateTenant, {
            ...this.startOptions(operationId),
            args: [updateInput(tenant, { from: current, to: current })],
          });
          break;
        }
        case 'backup': {
          const params = op.params !== null && 'backup' in op.params ? op.params.backup : undefined;
          if (params === undefined) throw new Error(`Backup operation ${operationId} carries no request`);
          await this.client.workflow.start(backupTenant, {
            ...this.startOptions(operationId),
            args: [
              {
                tenantId: tenant.id,
                orgId: tenant.orgId,
                apps: params.apps,
                reason: params.reason,
                ...(params.policy !== undefined ? { policy: params.policy } : {}),
              },
            ],
          });
          break;
        }
        case 'restore': {
          const params = op.params !== null && 'restore' in op.params ? op.params.restore : undefined;
          if (params === undefined) throw new Error(`Restore operation ${operationId} carries no request`);
          await this.client.workflow.start(restoreTenant, {
            ...this.startOptions(operationId),
            args: [
              {
                tenantId: tenant.id,
                orgId: tenant.orgId,
                snapshotIds: params.snapshotIds,
                strategy: params.strategy,
              },
            ],
          });
          break;
        }
        case 'destroy':
          await this.client.workflow.start(destroyTenant, {
            ...this.startOptions(operationId),
            args: [
              {
                tenantId: tenant.id,
                orgId: tenant.orgId,
                provider: tenant.provider,
                ...(op.params !== null && 'destroy' in op.params && op.params.destroy.purgeBackups
                  ? { purgeBackups: true }
                  : {}),
              },
            ],
          });
          break;
      }
      this.metrics.workflowStarted.inc({ workflow: OPERATION_KIND_SPECS[kind].workflow });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        throw new Error(`Could not start the workflow of operation ${operationId}`, { cause: err });
      }
    }
  }

  /** Asks the operation's workflow to cancel (it undoes what it did); false if it does not run. */
  async requestCancel(operationId: string): Promise<boolean> {
    const handle = this.client.workflow.getHandle(operationId);
    try {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') return false;
      await handle.cancel();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Cancels the operation's workflow and waits until its compensations have run; false if it did not run. */
  async cancelAndWait(operationId: string): Promise<boolean> {
    if (!(await this.requestCancel(operationId))) return false;
    await this.client.workflow
      .getHandle(operationId)
      .result()
      .catch(() => undefined);
    return true;
  }

  async workflowState(operationId: string): Promise<WorkflowState> {
    try {
      const description = await this.client.workflow.getHandle(operationId).describe();
      const status = description.status.name;
      return status === 'RUNNING' ? { state: 'running' } : { state: 'closed', status };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { state: 'missing' };
      throw err;
    }
  }

  private startOptions(operationId: string) {
    return {
      taskQueue: TaskQueue.workflows,
      workflowId: operationId,
      // An id runs once: a repeated start fails with WorkflowExecutionAlreadyStartedError (a retry of
      // a failed operation is a new operation with a new id).
      workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    };
  }
}

/** The update workflow's input: the tenant's machine and domain, and the change to carry out. */
function updateInput(tenant: TenantEntity, change: TenantChange): UpdateTenantInput {
  return {
    tenantId: tenant.id,
    orgId: tenant.orgId,
    domain: tenant.domain,
    provider: tenant.provider,
    ...(tenant.placement ? { placement: tenant.placement } : {}),
    from: change.from,
    to: change.to,
  };
}
