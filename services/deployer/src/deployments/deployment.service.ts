import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type {
  DeployConfigurationInput,
  DeploymentResult,
  DriftFinding,
  DriftReport,
} from '@fedops/contracts';
import { describeError } from '@fedops/domain';
import { EventPublisher, JsonLogger } from '@fedops/service-kit';
import type { DeploymentPipeline } from '../deployment/deployment-pipeline';
import { TenantSecretService } from '../secrets/tenant-secret.service';
import { DeploymentEntity } from './deployment.entity';

export const DEPLOYMENT_PIPELINE = Symbol('DEPLOYMENT_PIPELINE');
/** Machines the drift check asks at once (each is an SSH session or two). */
const DRIFT_CHECK_CONCURRENCY = 4;

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
        machine: input.machine,
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

  /**
   * Asks the machine of every tenant's last deployment what it runs: drifted when its generation or
   * the configuration hash of that generation is not what was activated. A machine that cannot be
   * asked is reported as unreachable, not as drift. A few machines at a time.
   */
  async findDrift(): Promise<DriftReport> {
    const checkedAt = new Date().toISOString();
    const latest = await this.dataSource
      .getRepository(DeploymentEntity)
      .createQueryBuilder('d')
      .distinctOn(['d.tenant_id'])
      .orderBy('d.tenant_id')
      .addOrderBy('d.created_at', 'DESC')
      .getMany();
    const report: DriftReport = { checkedAt, inSync: [], drifted: [], unreachable: [] };
    const queue = latest.filter((d) => d.machine !== null);
    const inspectNext = async (): Promise<void> => {
      for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
        const machine = d.machine;
        if (machine === null) continue;
        try {
          const found = await this.pipeline.inspect(machine);
          if (found.generation === d.generation && found.configHash === d.configHash) {
            report.inSync.push(d.tenantId);
          } else {
            const finding: DriftFinding = {
              tenantId: d.tenantId,
              machineId: d.machineId,
              expected: { generation: d.generation, configHash: d.configHash },
              found,
            };
            report.drifted.push(finding);
            this.log.warn('machine drifted from its last deployment', { ...finding });
          }
        } catch (err: unknown) {
          report.unreachable.push({
            tenantId: d.tenantId,
            machineId: d.machineId,
            error: describeError(err),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: DRIFT_CHECK_CONCURRENCY }, inspectNext));
    this.log.info('drift checked', {
      machines: latest.length,
      inSync: report.inSync.length,
      drifted: report.drifted.length,
      unreachable: report.unreachable.length,
    });
    return report;
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
