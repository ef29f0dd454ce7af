import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { RESOURCE_PROVIDER_KINDS, TENANT_STATUSES, type MachinePlacement } from '@fedops/contracts';
import { appHostnames } from '@fedops/catalog';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import type { Principal } from '../auth/principal';
import { IdempotentRequests, isUniqueViolation, type Answer } from '../idempotency/idempotent-requests';
import { OperationService } from '../operations/operation.service';
import { fetchPage, parseListQuery, toPage, type Page } from '../pagination/list-query';
import { ProviderService } from '../providers/provider.service';
import { QuotaService } from '../quotas/quota.service';
import type { CreateTenantCommand, TenantPlacementView, TenantView } from './tenant.dto';
import { TenantEntity } from './tenant.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const TENANT_LIST_FILTERS = [
  { name: 'status', values: TENANT_STATUSES, description: 'a tenant status' },
  { name: 'provider', values: RESOURCE_PROVIDER_KINDS, description: 'a resource provider kind' },
  { name: 'org', pattern: /^[a-z0-9][a-z0-9-]{0,62}$/, description: 'an organisation id' },
] as const;

@Injectable()
export class TenantService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly operations: OperationService,
    private readonly idempotent: IdempotentRequests,
    private readonly quotas: QuotaService,
    private readonly providers: ProviderService,
    logger: JsonLogger,
  ) {
    this.log = logger.child('tenants');
  }

  /**
   * Places the tenant's machine, stores the desired state with the placement and its deploy operation,
   * then starts the operation's workflow. No room anywhere is a 409 before anything is stored, so no
   * workflow starts. A repeat with the same Idempotency-Key gets the first answer back without placing
   * again (and starts the operation if the first attempt died before starting it).
   */
  async create(
    principal: Principal,
    command: CreateTenantCommand,
    idempotencyKey: string | undefined,
  ): Promise<Answer<TenantView>> {
    const orgId = this.orgFor(principal, command.org);
    const tenantId = randomUUID();
    let run: { answer: Answer<TenantView>; replayed: boolean };
    try {
      run = await this.idempotent.run(
        principal,
        idempotencyKey,
        { operation: 'createTenant', params: { orgId, ...command } },
        async (tx) => {
          // First, while no lock is held: the provisioner may ask every provider for its capacity.
          const placement = await this.place(tenantId, command);
          // Before anything is stored: the organisation exists and the tenant fits its quotas.
          await this.quotas.check(tx, orgId, { apps: command.apps });
          await this.claimDomain(tx, command.domain);
          const tenant = tx.getRepository(TenantEntity).create({
            id: tenantId,
            orgId,
            domain: command.domain,
            apps: command.apps,
            hostnames: appHostnames(command.domain, command.apps),
            provider: placement.kind,
            placement,
            error: null,
          });
          await this.operations.create(tx, tenant, 'deploy', principal.subject);
          const body = toView(tenant);
          return { status: 202, body, location: body.links.self };
        },
      );
    } catch (err) {
      if (isUniqueViolation(err, 'tenants_live_domain')) {
        throw new FedopsError(
          FedopsErrorCode.Conflict,
          `Domain ${command.domain} is already used by another tenant`,
        );
      }
      throw err;
    }
    await this.operations.startIfPending(run.answer.body.operation.id);
    if (!run.replayed) {
      this.log.info('tenant created', {
        tenantId,
        orgId,
        operationId: run.answer.body.operation.id,
        domain: command.domain,
        apps: command.apps.map((a) => a.app),
        placement: run.answer.body.placement,
      });
    }
    return run.answer;
  }

  /** Where the machine of a new tenant goes (the provisioner's choice), checked against a requested kind. */
  private async place(tenantId: string, command: CreateTenantCommand): Promise<MachinePlacement> {
    const placement = await this.providers.choosePlacement({
      tenantId,
      plan: command.plan,
      preference: command.placement,
    });
    if (command.kind !== undefined && placement.kind !== command.kind) {
      throw FedopsError.validation([
        {
          field: 'provider',
          message: `is ${command.kind}, but placement.provider ${placement.providerName} is a ${placement.kind} provider`,
        },
      ]);
    }
    return placement;
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

  /** A page of the tenants the caller may see, oldest first, with optional filters. */
  async list(principal: Principal, query: Record<string, unknown>): Promise<Page<TenantView>> {
    const { page, filters } = parseListQuery(query, TENANT_LIST_FILTERS);
    const qb = this.dataSource.getRepository(TenantEntity).createQueryBuilder('t');
    if (!principal.roles.includes('ops'))
      qb.andWhere('t.org_id = :own', { own: principal.orgId ?? '\u0000' });
    if (filters.org !== undefined) qb.andWhere('t.org_id = :org', { org: filters.org });
    if (filters.status !== undefined) qb.andWhere('t.status = :status', { status: filters.status });
    if (filters.provider !== undefined) qb.andWhere('t.provider = :provider', { provider: filters.provider });
    const rows = await fetchPage(qb, page, { at: 't.created_at', id: 't.id', order: 'ASC' });
    return toPage(rows, page.limit, toView);
  }

  /**
   * Stores a destroy operation and starts it; the workflow first cancels a deployment still in
   * flight. Repeating the request while the deletion runs answers with the same operation.
   */
  async delete(principal: Principal, tenantId: string): Promise<Answer<TenantView>> {
    const outcome = await this.dataSource.transaction(async (tx) => {
      const tenant = await this.findVisible(principal, tenantId, tx, true);
      if (tenant.status === 'deleted') return { status: 200, tenant, operation: undefined };
      const open = await this.operations.openOperations(tx, tenant.id);
      const running = open.find((o) => o.kind === 'destroy');
      if (running !== undefined) return { status: 202, tenant, operation: undefined };
      const operation = await this.operations.create(tx, tenant, 'destroy', principal.subject);
      return { status: 202, tenant, operation };
    });
    if (outcome.operation !== undefined) await this.operations.start(outcome.operation, outcome.tenant);
    return { status: outcome.status, body: toView(outcome.tenant) };
  }

  /** The tenant if the caller may see it; a tenant of another org is reported as not found. */
  async findVisible(
    principal: Principal,
    tenantId: string,
    tx?: EntityManager,
    forUpdate = false,
  ): Promise<TenantEntity> {
    const repo = (tx ?? this.dataSource.manager).getRepository(TenantEntity);
    const tenant = UUID.test(tenantId)
      ? await repo.findOne({
          where: { id: tenantId },
          ...(forUpdate ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        })
      : null;
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
}

export function toView(t: TenantEntity): TenantView {
  return {
    id: t.id,
    org: t.orgId,
    domain: t.domain,
    status: t.status,
    provider: t.provider,
    ...(t.placement ? { placement: toPlacementView(t.placement) } : {}),
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

function toPlacementView(p: MachinePlacement): TenantPlacementView {
  return {
    machineId: p.machineId,
    provider: p.providerName,
    location: p.location,
    plan: p.plan,
    reason: p.reason,
  };
}
