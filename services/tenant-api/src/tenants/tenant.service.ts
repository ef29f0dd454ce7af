import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { workflowIds, type SetTenantStatusInput, type TenantStatus } from '@fedops/contracts';
import { appHostnames } from '@fedops/catalog';
import { FedopsError, FedopsErrorCode, describeError } from '@fedops/domain';
import { EventPublisher, JsonLogger, ServiceMetrics } from '@fedops/service-kit';
import type { Principal } from '../auth/principal';
import { Orchestrator } from '../orchestration/orchestrator';
import type { CreateTenantCommand, TenantView } from './tenant.dto';
import { IdempotencyKeyEntity, TenantEntity } from './tenant.entity';

export interface ApiResult<T> {
  status: number;
  body: T;
}

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class TenantService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly orchestrator: Orchestrator,
    private readonly events: EventPublisher,
    private readonly metrics: ServiceMetrics,
    logger: JsonLogger,
  ) {
    this.log = logger.child('tenants');
  }

  /**
   * Stores the desired state and starts deployTenant. With an Idempotency-Key, a retried request gets
   * the first answer back (and the workflow is started if the first attempt died before starting it).
   */
  async create(
    principal: Principal,
    command: CreateTenantCommand,
    idempotencyKey: string | undefined,
  ): Promise<ApiResult<TenantView>> {
    const orgId = this.orgFor(principal, command.org);
    const requestHash = hashRequest(orgId, command);
    if (idempotencyKey !== undefined) {
      const replay = await this.replay(orgId, idempotencyKey, requestHash);
      if (replay !== undefined) return replay;
    }
    const tenantId = randomUUID();
    const operationId = workflowIds.deployTenant(tenantId);
    const tenant = this.dataSource.getRepository(TenantEntity).create({
      id: tenantId,
      orgId,
      domain: command.domain,
      apps: command.apps,
      hostnames: appHostnames(command.domain, command.apps),
      provider: command.provider,
      status: 'provisioning',
      lastOperationId: operationId,
      operationStartedAt: new Date(),
      error: null,
    });
    let result: ApiResult<TenantView>;
    try {
      result = await this.dataSource.transaction(async (tx) => {
        await this.claimDomain(tx, command.domain);
        const saved = await tx.getRepository(TenantEntity).save(tenant);
        const answer = { status: 202, body: toView(saved) };
        if (idempotencyKey !== undefined) {
          await tx.getRepository(IdempotencyKeyEntity).insert({
            orgId,
            key: idempotencyKey,
            requestHash,
            tenantId,
            statusCode: answer.status,
            body: answer.body,
          });
        }
        return answer;
      });
    } catch (err) {
      if (isUniqueViolation(err, 'tenants_live_domain')) {
        throw new FedopsError(
          FedopsErrorCode.Conflict,
          `Domain ${command.domain} is already used by another tenant`,
        );
      }
      if (idempotencyKey !== undefined && isUniqueViolation(err, 'idempotency_keys_pkey')) {
        // A concurrent request with the same key won the race: answer as it did.
        const replay = await this.replay(orgId, idempotencyKey, requestHash);
        if (replay !== undefined) return replay;
      }
      throw err;
    }
    await this.ensureWorkflow(tenant);
    this.log.info('tenant created', {
      tenantId,
      orgId,
      domain: command.domain,
      apps: command.apps.map((a) => a.app),
    });
    return result;
  }

  /**
   * Each tenant's domain is its own DNS zone, so a live tenant's domain must not be the parent or a
   * child of another's (`git.example.org` would shadow records of `example.org`'s tenant). Claims are
   * serialised by a transaction-scoped advisory lock; the exact-match case is also a unique index.
   */
  private async claimDomain(tx: EntityManager, domain: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('fedops.tenant-domains'))`);
    const rows: Array<{ domain: string }> = await tx.query(
      `SELECT domain FROM tenants
        WHERE status <> 'deleted'
          AND (domain = $1 OR right($1, length(domain) + 1) = '.' || domain OR right(domain, length($1) + 1) = '.' || $1)
        LIMIT 1`,
      [domain],
    );
    const taken = rows[0]?.domain;
    if (taken === undefined) return;
    throw new FedopsError(
      FedopsErrorCode.Conflict,
      taken === domain
        ? `Domain ${domain} is already used by another tenant`
        : `Domain ${domain} overlaps ${taken}, which another tenant uses (a tenant's domain is its own DNS zone)`,
    );
  }

  async get(principal: Principal, tenantId: string): Promise<TenantView> {
    return toView(await this.findVisible(principal, tenantId));
  }

  async list(principal: Principal): Promise<TenantView[]> {
    const repo = this.dataSource.getRepository(TenantEntity);
    const where = principal.roles.includes('ops') ? {} : { orgId: principal.orgId ?? '\u0000' };
    const tenants = await repo.find({ where, order: { createdAt: 'ASC' } });
    return tenants.map(toView);
  }

  /** Records the deletion and starts destroyTenant, which first cancels a deployment still in flight. */
  async delete(principal: Principal, tenantId: string): Promise<ApiResult<TenantView>> {
    const tenant = await this.findVisible(principal, tenantId);
    if (tenant.status === 'deleted') return { status: 200, body: toView(tenant) };
    const operationId = workflowIds.destroyTenant(tenantId);
    if (tenant.status !== 'deleting') {
      tenant.status = 'deleting';
      tenant.lastOperationId = operationId;
      tenant.operationStartedAt = new Date();
      tenant.error = null;
      await this.dataSource.getRepository(TenantEntity).save(tenant);
    }
    await this.ensureWorkflow(tenant);
    return { status: 202, body: toView(tenant) };
  }

  /** The tenant-api activity: records the outcome of a workflow and announces it. */
  async setStatus(input: SetTenantStatusInput): Promise<void> {
    const repo = this.dataSource.getRepository(TenantEntity);
    const tenant = await repo.findOneBy({ id: input.tenantId });
    if (tenant === null)
      throw new FedopsError(FedopsErrorCode.NotFound, `Tenant ${input.tenantId} does not exist`);
    // An outcome of an older operation (e.g. a cancelled deploy finishing late) never overwrites a newer one.
    if (tenant.lastOperationId !== input.operationId) {
      this.log.info('ignoring status from a superseded operation', { ...input });
      return;
    }
    const changed = tenant.status !== input.status;
    tenant.status = input.status;
    tenant.error = input.error ?? null;
    await repo.save(tenant);
    if (changed && isFinal(input.status)) {
      const workflow = input.operationId.endsWith('-destroy') ? 'destroyTenant' : 'deployTenant';
      const outcome = input.status === 'failed' ? 'failure' : 'success';
      this.metrics.workflowCompleted.inc({ workflow, outcome });
      this.metrics.workflowDuration.observe(
        { workflow, outcome },
        (Date.now() - tenant.operationStartedAt.getTime()) / 1000,
      );
    }
    await this.events.publish(
      input.tenantId,
      'tenant.status.changed',
      `${input.operationId}/status/${input.status}`,
      {
        status: input.status,
        operationId: input.operationId,
        ...(input.error !== undefined ? { error: input.error } : {}),
      },
    );
  }

  /** The tenant if the caller may see it; a tenant of another org is reported as not found. */
  async findVisible(principal: Principal, tenantId: string, tx?: EntityManager): Promise<TenantEntity> {
    const repo = (tx ?? this.dataSource.manager).getRepository(TenantEntity);
    const tenant = /^[0-9a-f-]{36}$/.test(tenantId) ? await repo.findOneBy({ id: tenantId }) : null;
    if (tenant === null || (!principal.roles.includes('ops') && tenant.orgId !== principal.orgId)) {
      throw new FedopsError(FedopsErrorCode.NotFound, `Tenant ${tenantId} not found`);
    }
    return tenant;
  }

  private orgFor(principal: Principal, requested: string | undefined): string {
    if (principal.roles.includes('ops')) {
      if (requested === undefined)
        throw FedopsError.validation([
          { field: 'org', message: 'is required when ops staff create a tenant' },
        ]);
      return requested;
    }
    if (principal.orgId === undefined)
      throw new FedopsError(FedopsErrorCode.Forbidden, 'Token carries no organisation');
    if (requested !== undefined && requested !== principal.orgId) {
      throw new FedopsError(
        FedopsErrorCode.Forbidden,
        `Operators create tenants only in their own organisation`,
      );
    }
    return principal.orgId;
  }

  private async replay(
    orgId: string,
    key: string,
    requestHash: string,
  ): Promise<ApiResult<TenantView> | undefined> {
    const record = await this.dataSource.getRepository(IdempotencyKeyEntity).findOneBy({ orgId, key });
    if (record === null) return undefined;
    if (record.requestHash !== requestHash) {
      throw new FedopsError(
        FedopsErrorCode.IdempotencyKeyReused,
        'This Idempotency-Key was used for a different request; use a new key for a new request',
      );
    }
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: record.tenantId });
    // The first attempt may have died between storing and starting: starting again is a no-op otherwise.
    if (tenant !== null) await this.ensureWorkflow(tenant);
    return { status: record.statusCode, body: record.body as TenantView };
  }

  /**
   * Starts the workflow the tenant's status calls for, unless it ran or runs already. A failure to
   * reach Temporal is logged, not thrown: the desired state is stored, and the reconciler starts the
   * workflow once Temporal answers.
   */
  async ensureWorkflow(tenant: TenantEntity): Promise<void> {
    try {
      if (tenant.status === 'provisioning') {
        await this.orchestrator.startDeploy({
          tenantId: tenant.id,
          orgId: tenant.orgId,
          domain: tenant.domain,
          apps: tenant.apps,
          hostnames: tenant.hostnames,
          provider: tenant.provider,
        });
      } else if (tenant.status === 'deleting') {
        await this.orchestrator.startDestroy({
          tenantId: tenant.id,
          orgId: tenant.orgId,
          provider: tenant.provider,
        });
      }
    } catch (err) {
      this.log.warn('could not start workflow; the reconciler will retry', {
        tenantId: tenant.id,
        status: tenant.status,
        error: describeError(err),
      });
    }
  }
}

function isFinal(status: TenantStatus): boolean {
  return status === 'ready' || status === 'failed' || status === 'deleted';
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const driverError = err.driverError as { code?: string; constraint?: string };
  return driverError.code === UNIQUE_VIOLATION && driverError.constraint === constraint;
}

function hashRequest(orgId: string, command: CreateTenantCommand): string {
  return createHash('sha256')
    .update(canonicalJson({ orgId, ...command }))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function toView(t: TenantEntity): TenantView {
  return {
    id: t.id,
    org: t.orgId,
    domain: t.domain,
    status: t.status,
    provider: t.provider,
    apps: t.apps.map((a) => {
      const host = t.hostnames.find((h) => h.app === a.app);
      return { app: a.app, options: a.options, url: host !== undefined ? `https://${host.fqdn}/` : '' };
    }),
    operation: { id: t.lastOperationId, href: `/v1/operations/${t.lastOperationId}` },
    ...(t.error !== null ? { error: t.error } : {}),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    links: { self: `/v1/tenants/${t.id}`, events: `/v1/tenants/${t.id}/events` },
  };
}
