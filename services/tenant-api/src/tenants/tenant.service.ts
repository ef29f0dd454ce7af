import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import {
  CONFIGURATION_PREVIEW_SUBJECT,
  type BackupPolicy,
  RESOURCE_PROVIDER_KINDS,
  TENANT_STATUSES,
  type ConfigurationPreview,
  type ConfigurationPreviewRequest,
  type MachinePlacement,
  type OperationKind,
} from '@fedops/contracts';
import { appHostnames } from '@fedops/catalog';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import type { Principal } from '../auth/principal';
import { IdempotentRequests, isUniqueViolation, type Answer } from '../idempotency/idempotent-requests';
import { OperationService } from '../operations/operation.service';
import { fetchPage, parseListQuery, toPage, type Page } from '../pagination/list-query';
import { ProviderService } from '../providers/provider.service';
import { QuotaService } from '../quotas/quota.service';
import { DeployerRpc } from '../deployer-rpc/deployer-rpc';
import { entityTag, requireIfMatch } from '../http-conditions/entity-tag';
import type { TenantChange } from '../operations/operation.entity';
import { changeSummary } from '../operations/operation.view';
import type { CreateTenantCommand, TenantDriftView, TenantPlacementView, TenantView } from './tenant.dto';
import { applyTenantChange, type UpdateTenantCommand } from './tenant-change';
import { TenantEntity, type TenantDrift } from './tenant.entity';

/** Rendering two configurations for a dry run takes the deployer well under a second; allow for load. */
const PREVIEW_TIMEOUT_MS = 15_000;

/** What PATCH ?dryRun=true answers: what the change would do, nothing applied. */
export interface TenantChangePreview {
  dryRun: true;
  /** The operation the change would start: `update` for a running tenant, `deploy` for one never deployed. */
  operation: { kind: OperationKind };
  apps: { added: string[]; removed: string[]; changed: string[] };
  /** The rendered NixOS configuration's files that would differ, each with a unified diff. */
  configuration: ConfigurationPreview;
  /** Names whose records would be added or removed (each points at the tenant's machine). */
  dns: { added: string[]; removed: string[] };
}

/** A tenant with the ETag of the version answered. */
export interface TaggedTenant {
  answer: Answer<TenantView>;
  etag: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const TENANT_LIST_FILTERS = [
  { name: 'status', values: TENANT_STATUSES, description: 'a tenant status' },
  { name: 'provider', values: RESOURCE_PROVIDER_KINDS, description: 'a resource provider kind' },
  { name: 'org', pattern: /^[a-z0-9][a-z0-9-]{0,62}$/, description: 'an organisation id' },
] as const;

/** The backup policy a new tenant starts with (DEFAULT_BACKUP_POLICY, at the configured interval). */
export const NEW_TENANT_BACKUP_POLICY = Symbol('NEW_TENANT_BACKUP_POLICY');

@Injectable()
export class TenantService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly operations: OperationService,
    private readonly idempotent: IdempotentRequests,
    private readonly quotas: QuotaService,
    private readonly providers: ProviderService,
    private readonly deployer: DeployerRpc,
    @Inject(NEW_TENANT_BACKUP_POLICY) private readonly newTenantBackupPolicy: BackupPolicy,
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
            backupPolicy: this.newTenantBackupPolicy,
            lastBackupAt: null,
            lastBackupFailedAt: null,
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
   * Changes a tenant's apps. Needs If-Match with the tenant's ETag (428 without, 412 when stale); a
   * change while another operation runs is a 409 naming it. A running tenant gets an update
   * operation that applies the change to its machine (the tenant's apps change once it succeeds); a
   * tenant never deployed (its deploy failed and was undone) gets the new apps and a deploy. With
   * `dryRun`, every check runs the same and the answer says what would change, nothing stored.
   */
  async update(
    principal: Principal,
    tenantId: string,
    command: UpdateTenantCommand,
    ifMatch: string | undefined,
    dryRun: boolean,
  ): Promise<{ preview: TenantChangePreview } | { tagged: TaggedTenant }> {
    const planned = await this.dataSource.transaction(async (tx) => {
      const tenant = await this.findVisible(principal, tenantId, tx, true);
      requireIfMatch(ifMatch, tenantTag(tenant), `tenant ${tenantId}`);
      await this.requireChangeable(tx, tenant);
      const applied = applyTenantChange(tenant.apps, command);
      const change: TenantChange = {
        from: { apps: tenant.apps, hostnames: tenant.hostnames },
        to: { apps: applied.apps, hostnames: appHostnames(tenant.domain, applied.apps) },
      };
      const before = new Set(tenant.apps.map((a) => a.app));
      await this.quotas.check(tx, tenant.orgId, {
        apps: applied.apps.filter((a) => !before.has(a.app)),
        tenantExists: true,
      });
      const kind: OperationKind = (await this.wasDeployed(tx, tenant.id)) ? 'update' : 'deploy';
      if (dryRun) return { tenant, change, kind, operation: undefined };
      let operation;
      if (kind === 'update') {
        operation = await this.operations.create(tx, tenant, 'update', principal.subject, { change });
      } else {
        tenant.apps = change.to.apps;
        tenant.hostnames = change.to.hostnames;
        operation = await this.operations.create(tx, tenant, 'deploy', principal.subject);
      }
      return { tenant, change, kind, operation };
    });
    const { tenant, change, kind, operation } = planned;
    if (operation === undefined) return { preview: await this.preview(tenant, change, kind) };
    await this.operations.start(operation, tenant);
    this.log.info('tenant change requested', {
      tenantId,
      operationId: operation.id,
      kind,
      by: principal.subject,
      ...changeSummary(change),
    });
    const body = toView(tenant);
    return { tagged: { answer: { status: 202, body }, etag: tenantTag(tenant) } };
  }

  /** The tenant, with the ETag a PATCH names in If-Match. */
  async get(principal: Principal, tenantId: string): Promise<{ view: TenantView; etag: string }> {
    const tenant = await this.findVisible(principal, tenantId);
    return { view: toView(tenant), etag: tenantTag(tenant) };
  }

  /** Whether the tenant ever ran: a deploy or update of it succeeded. */
  async wasDeployed(tx: EntityManager, tenantId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `SELECT 1 FROM operations WHERE tenant_id = $1 AND kind IN ('deploy', 'update') AND status = 'succeeded' LIMIT 1`,
      [tenantId],
    );
    return rows.length > 0;
  }

  private async preview(
    tenant: TenantEntity,
    change: TenantChange,
    kind: OperationKind,
  ): Promise<TenantChangePreview> {
    // A tenant never deployed has nothing on a machine: every file of the new configuration is added.
    const deployedApps = kind === 'update' ? change.from.apps : [];
    const request: ConfigurationPreviewRequest = {
      tenantId: tenant.id,
      domain: tenant.domain,
      provider: tenant.provider,
      from: deployedApps,
      to: change.to.apps,
    };
    const configuration = await this.deployer.call<ConfigurationPreview>(
      CONFIGURATION_PREVIEW_SUBJECT,
      request,
      PREVIEW_TIMEOUT_MS,
    );
    const names = (hosts: TenantChange['from']['hostnames']): Set<string> =>
      new Set(hosts.map((h) => h.fqdn));
    const before = kind === 'update' ? names(change.from.hostnames) : new Set<string>();
    const after = names(change.to.hostnames);
    const sorted = (values: Iterable<string>): string[] => [...values].sort();
    return {
      dryRun: true,
      operation: { kind },
      apps: changeSummary(change),
      configuration,
      dns: {
        added: sorted([...after].filter((n) => !before.has(n))),
        removed: sorted([...before].filter((n) => !after.has(n))),
      },
    };
  }

  /**
   * Puts the tenant's desired state back on its machine (after drift, or to repair it): a reconcile
   * operation, which deploys the tenant's apps as they are and their records. Only for a tenant that
   * ran once and on which no operation runs (409 naming it). A repeat with the same Idempotency-Key
   * answers the same operation.
   */
  async reconcile(
    principal: Principal,
    tenantId: string,
    idempotencyKey: string | undefined,
  ): Promise<Answer<TenantView>> {
    const run = await this.idempotent.run(
      principal,
      idempotencyKey,
      { operation: 'reconcileTenant', params: { tenantId } },
      async (tx) => {
        const tenant = await this.findVisible(principal, tenantId, tx, true);
        await this.requireChangeable(tx, tenant);
        if (!(await this.wasDeployed(tx, tenant.id))) {
          throw new FedopsError(
            FedopsErrorCode.Conflict,
            `Tenant ${tenantId} never ran: retry its deploy operation (${tenant.lastOperationId}) instead`,
          );
        }
        await this.operations.create(tx, tenant, 'reconcile', principal.subject);
        return { status: 202, body: toView(tenant) };
      },
    );
    await this.operations.startIfPending(run.answer.body.operation.id);
    if (!run.replayed)
      this.log.info('tenant reconcile requested', {
        tenantId,
        operationId: run.answer.body.operation.id,
        by: principal.subject,
      });
    return run.answer;
  }

  /** A change may start: the tenant is not (being) deleted and no operation runs on it (409 naming it). */
  async requireChangeable(tx: EntityManager, tenant: TenantEntity): Promise<void> {
    if (tenant.status === 'deleted' || tenant.status === 'deleting') {
      throw new FedopsError(FedopsErrorCode.Conflict, `Tenant ${tenant.id} is ${tenant.status}`);
    }
    const [running] = await this.operations.openOperations(tx, tenant.id);
    if (running !== undefined) {
      throw new FedopsError(
        FedopsErrorCode.Conflict,
        `Tenant ${tenant.id} is being changed by operation ${running.id} (${running.kind}); ` +
          'wait until it has ended, or cancel it, and send the change again',
        {
          extensions: {
            operation: { id: running.id, kind: running.kind, href: `/v1/operations/${running.id}` },
          },
        },
      );
    }
  }

  /**
   * Stores a destroy operation and starts it; the workflow first cancels a deployment still in
   * flight. Repeating the request while the deletion runs answers with the same operation.
   */
  /**
   * Starts the destroy operation (unless one runs). The tenant's backups are kept for the grace
   * period, restorable; `purgeBackups` deletes them with the rest.
   */
  async delete(principal: Principal, tenantId: string, purgeBackups = false): Promise<Answer<TenantView>> {
    const outcome = await this.dataSource.transaction(async (tx) => {
      const tenant = await this.findVisible(principal, tenantId, tx, true);
      if (tenant.status === 'deleted') {
        if (purgeBackups) {
          throw new FedopsError(
            FedopsErrorCode.Conflict,
            `Tenant ${tenantId} is deleted already: its backups are purged when their grace period ends`,
          );
        }
        return { status: 200, tenant, operation: undefined };
      }
      const open = await this.operations.openOperations(tx, tenant.id);
      const running = open.find((o) => o.kind === 'destroy');
      if (running !== undefined) return { status: 202, tenant, operation: undefined };
      const operation = await this.operations.create(tx, tenant, 'destroy', principal.subject, {
        ...(purgeBackups ? { params: { destroy: { purgeBackups: true } } } : {}),
      });
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

/** A tenant's ETag: its version, which every save of the row raises. */
export function tenantTag(t: TenantEntity): string {
  return entityTag('tenant', t.id, t.version);
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
    ...(t.drift !== null ? { drift: toDriftView(t.id, t.drift) } : {}),
    backups: {
      policy: t.backupPolicy,
      ...(t.lastBackupAt !== null ? { lastSucceededAt: t.lastBackupAt.toISOString() } : {}),
      ...(t.lastBackupFailedAt !== null ? { lastFailedAt: t.lastBackupFailedAt.toISOString() } : {}),
      links: { snapshots: `/v1/tenants/${t.id}/snapshots`, policy: `/v1/tenants/${t.id}/backup-policy` },
    },
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    links: { self: `/v1/tenants/${t.id}`, events: `/v1/tenants/${t.id}/events` },
  };
}

function toDriftView(tenantId: string, d: TenantDrift): TenantDriftView {
  const runs =
    d.found.generation === undefined
      ? 'no system generation'
      : d.found.generation === d.expected.generation
        ? `generation ${d.found.generation} with another configuration than`
        : `generation ${d.found.generation}, not generation ${d.expected.generation} that`;
  return {
    detectedAt: d.detectedAt,
    expected: d.expected,
    found: d.found,
    message:
      `The machine runs ${runs}${d.found.generation === undefined ? `, not generation ${d.expected.generation} that` : ''} ` +
      `fedops activated last. POST /v1/tenants/${tenantId}/reconcile puts the desired configuration back.`,
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
