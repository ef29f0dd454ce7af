import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { DeployConfigurationInput, DeploymentResult } from '@fedops/contracts';
import { EventPublisher, JsonLogger } from '@fedops/service-kit';
import type { DeploymentPipeline } from '../deployment/deployment-pipeline';
import { TenantSecretService } from '../secrets/tenant-secret.service';
import { DeploymentEntity } from './deployment.entity';

export const DEPLOYMENT_PIPELINE = Symbol('DEPLOYMENT_PIPELINE');

/** Runs the deployment pipeline and keeps the record of generations per machine. */
@Injectable()
export class DeploymentService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(DEPLOYMENT_PIPELINE) private readonly pipeline: DeploymentPipeline,
    private readonly events: EventPublisher,
    private readonly secrets: TenantSecretService,
    logger: JsonLogger,
  ) {
    this.log = logger.child('deployments');
  }

  async deploy(input: DeployConfigurationInput, signal?: AbortSignal): Promise<DeploymentResult> {
    const result = await this.pipeline.deploy(input, signal === undefined ? {} : { signal });
    const repo = this.dataSource.getRepository(DeploymentEntity);
    // Idempotent: a retried activity reports the same generation of the same machine once.
    await repo
      .createQueryBuilder()
      .insert()
      .values({
        id: randomUUID(),
        tenantId: input.tenantId,
        machineId: input.machine.machineId,
        generation: result.generation,
        configHash: result.configHash,
        apps: result.apps,
      })
      .orIgnore()
      .execute();
    this.log.info('deployment active', {
      tenantId: input.tenantId,
      generation: result.generation,
      configHash: result.configHash,
    });
    await this.events.publish(
      input.tenantId,
      'deployment.activated',
      `deployment/${input.machine.machineId}/generation/${result.generation}`,
      {
        machineId: input.machine.machineId,
        generation: result.generation,
        configHash: result.configHash,
        apps: result.apps,
      },
    );
    return result;
  }

  /** Forgets a deleted tenant: its deployment records and its apps' secrets. */
  async removeAll(tenantId: string): Promise<number> {
    const result = await this.dataSource.getRepository(DeploymentEntity).delete({ tenantId });
    const secrets = await this.secrets.removeAll(tenantId);
    if (secrets > 0) this.log.info('tenant secrets removed', { tenantId, secrets });
    const removed = result.affected ?? 0;
    if (removed > 0) {
      await this.events.publish(tenantId, 'deployment.removed', `deployment/${tenantId}/removed`, {
        removed,
      });
    }
    return removed;
  }
}
