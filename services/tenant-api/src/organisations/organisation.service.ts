import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import type { Principal } from '../auth/principal';
import { TokenVerifier } from '../auth/token-verifier';
import { entityTag, requireIfMatch } from '../http-conditions/entity-tag';
import { IdempotentRequests, isUniqueViolation, type Answer } from '../idempotency/idempotent-requests';
import { fetchPage, parseListQuery, toPage, type Page } from '../pagination/list-query';
import { QuotaService } from '../quotas/quota.service';
import { QUOTA_NAMES, mergeQuotas, type QuotaAmounts, type Quotas } from '../quotas/quotas';
import {
  ORG_ID,
  SUBJECT,
  type AddMemberCommand,
  type CreateOrganisationCommand,
  type MemberView,
  type OrganisationView,
  type UpdateOrganisationCommand,
} from './organisation.dto';
import { forgetCallerRecords } from '../callers/database-callers';
import { OrganisationMemberEntity } from './organisation-member.entity';
import { OrganisationEntity } from './organisation.entity';

/** An organisation as GET answers it, with the ETag a PATCH must name in If-Match. */
export interface TaggedOrganisation {
  view: OrganisationView;
  etag: string;
}

/**
 * Organisations and their members, managed by ops staff; an operator reads their own organisation.
 * An organisation of someone else's is not found (404), like its tenants.
 */
@Injectable()
export class OrganisationService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotent: IdempotentRequests,
    private readonly quotas: QuotaService,
    private readonly verifier: TokenVerifier,
    logger: JsonLogger,
  ) {
    this.log = logger.child('organisations');
  }

  async create(
    principal: Principal,
    command: CreateOrganisationCommand,
    idempotencyKey: string | undefined,
  ): Promise<Answer<OrganisationView> & { etag: string }> {
    let run: { answer: Answer<OrganisationView>; replayed: boolean };
    try {
      run = await this.idempotent.run(
        principal,
        idempotencyKey,
        { operation: 'createOrganisation', params: command },
        async (tx) => {
          // Tenants outlive a deleted organisation (as history); a new organisation must not inherit them.
          const [used] = await tx.query(`SELECT 1 FROM tenants WHERE org_id = $1 LIMIT 1`, [command.id]);
          if (
            used !== undefined &&
            !(await tx.getRepository(OrganisationEntity).existsBy({ id: command.id }))
          ) {
            throw new FedopsError(
              FedopsErrorCode.Conflict,
              `Organisation id ${command.id} was used before and tenants of it remain; choose another id`,
            );
          }
          // insert, not save: save would update an organisation of the same id instead of refusing.
          const repo = tx.getRepository(OrganisationEntity);
          await repo.insert({ id: command.id, name: command.name, quotas: command.quotas, version: 1 });
          const body = toOrganisationView(await repo.findOneByOrFail({ id: command.id }));
          return { status: 201, body, location: body.links.self };
        },
      );
    } catch (err) {
      if (isUniqueViolation(err, 'organisations_pkey')) {
        throw new FedopsError(FedopsErrorCode.Conflict, `Organisation ${command.id} exists already`);
      }
      throw err;
    }
    forgetCallerRecords();
    if (!run.replayed) this.log.info('organisation created', { orgId: command.id, by: principal.subject });
    return { ...run.answer, etag: entityTag('organisation', command.id, 1) };
  }

  /** Every organisation, oldest first (ops staff). */
  async list(query: Record<string, unknown>): Promise<Page<OrganisationView>> {
    const { page } = parseListQuery(query, []);
    const qb = this.dataSource.getRepository(OrganisationEntity).createQueryBuilder('o');
    return toPage(
      await fetchPage(qb, page, { at: 'o.created_at', id: 'o.id', order: 'ASC' }),
      page.limit,
      (o) => toOrganisationView(o),
    );
  }

  async get(principal: Principal, orgId: string): Promise<TaggedOrganisation> {
    const organisation = await this.findVisible(principal, orgId, this.dataSource.manager);
    return this.tagged(organisation, await this.quotas.usage(this.dataSource.manager, orgId));
  }

  /** Applies a merge patch, if `ifMatch` names the current version (412 otherwise, 428 without it). */
  async update(
    principal: Principal,
    orgId: string,
    command: UpdateOrganisationCommand,
    ifMatch: string | undefined,
  ): Promise<TaggedOrganisation> {
    const { organisation, usage } = await this.dataSource.transaction(async (tx) => {
      const current = await this.findVisible(principal, orgId, tx, true);
      requireIfMatch(ifMatch, organisationTag(current), `organisation ${orgId}`);
      const changed = tx.getRepository(OrganisationEntity).merge(current, {
        ...(command.name !== undefined ? { name: command.name } : {}),
        ...(command.quotas !== undefined ? { quotas: mergeQuotas(current.quotas, command.quotas) } : {}),
        version: current.version + 1,
      });
      return {
        organisation: await tx.getRepository(OrganisationEntity).save(changed, { reload: true }),
        usage: await this.quotas.usage(tx, orgId),
      };
    });
    this.log.info('organisation changed', { orgId, by: principal.subject, version: organisation.version });
    return this.tagged(organisation, usage);
  }

  /**
   * Deletes an organisation that has no live tenants (409 otherwise): its members go with it and its
   * API tokens are revoked. Tenants already deleted stay as history.
   */
  async delete(principal: Principal, orgId: string): Promise<OrganisationView> {
    // Not an id (a NUL in it was a 500: the lock below hands it to the database before findVisible).
    if (!ORG_ID.test(orgId))
      throw new FedopsError(FedopsErrorCode.NotFound, `Organisation ${orgId} not found`);
    const view = await this.dataSource.transaction(async (tx) => {
      // The quota lock first, as tenant creation takes it: no tenant can be stored meanwhile.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('fedops.org-quota'), hashtext($1))`, [orgId]);
      const organisation = await this.findVisible(principal, orgId, tx, true);
      const [row]: Array<{ live: number }> = await tx.query(
        `SELECT count(*)::int AS live FROM tenants WHERE org_id = $1 AND status <> 'deleted'`,
        [orgId],
      );
      const live = row?.live ?? 0;
      if (live > 0) {
        throw new FedopsError(
          FedopsErrorCode.Conflict,
          `Organisation ${orgId} still has ${live} live tenant${live === 1 ? '' : 's'}; delete them first`,
        );
      }
      await tx.query(`UPDATE api_tokens SET revoked_at = now() WHERE org_id = $1 AND revoked_at IS NULL`, [
        orgId,
      ]);
      await tx.getRepository(OrganisationEntity).delete({ id: orgId });
      return toOrganisationView(organisation);
    });
    forgetCallerRecords();
    this.log.info('organisation deleted', { orgId, by: principal.subject });
    return view;
  }

  async listMembers(
    principal: Principal,
    orgId: string,
    query: Record<string, unknown>,
  ): Promise<Page<MemberView>> {
    const { page } = parseListQuery(query, []);
    await this.findVisible(principal, orgId, this.dataSource.manager);
    const qb = this.dataSource
      .getRepository(OrganisationMemberEntity)
      .createQueryBuilder('m')
      .where('m.org_id = :orgId', { orgId });
    return toPage(
      await fetchPage(qb, page, { at: 'm.created_at', id: 'm.id', order: 'ASC' }),
      page.limit,
      toMemberView,
    );
  }

  /** Makes a subject of the identity provider an operator of the organisation (of one organisation only). */
  async addMember(
    principal: Principal,
    orgId: string,
    command: AddMemberCommand,
    idempotencyKey: string | undefined,
  ): Promise<Answer<MemberView>> {
    const issuer = command.issuer ?? (await this.verifier.issuer());
    try {
      const { answer, replayed } = await this.idempotent.run(
        principal,
        idempotencyKey,
        { operation: 'addOrganisationMember', params: { orgId, subject: command.subject, issuer } },
        async (tx) => {
          await this.findVisible(principal, orgId, tx, true);
          const repo = tx.getRepository(OrganisationMemberEntity);
          const id = randomUUID();
          await repo.insert({
            id,
            orgId,
            issuer,
            subject: command.subject,
            role: 'operator',
            addedBy: principal.subject,
          });
          const body = toMemberView(await repo.findOneByOrFail({ id }));
          return { status: 201, body, location: body.links.self };
        },
      );
      forgetCallerRecords();
      if (!replayed)
        this.log.info('member added', { orgId, subject: command.subject, issuer, by: principal.subject });
      return answer;
    } catch (err) {
      if (isUniqueViolation(err, 'organisation_members_identity')) {
        const existing = await this.dataSource
          .getRepository(OrganisationMemberEntity)
          .findOneBy({ issuer, subject: command.subject });
        throw new FedopsError(
          FedopsErrorCode.Conflict,
          existing?.orgId === orgId
            ? `${command.subject} is a member of ${orgId} already`
            : `${command.subject} is a member of another organisation (${existing?.orgId ?? 'unknown'}); an operator belongs to one organisation`,
        );
      }
      throw err;
    }
  }

  /** Removes the member (of every issuer with this subject) and revokes the API tokens they made in it. */
  async removeMember(principal: Principal, orgId: string, subject: string): Promise<MemberView> {
    const removed = await this.dataSource.transaction(async (tx) => {
      await this.findVisible(principal, orgId, tx, true);
      const members = SUBJECT.test(subject)
        ? await tx.getRepository(OrganisationMemberEntity).findBy({ orgId, subject })
        : [];
      const [first] = members;
      if (first === undefined) {
        throw new FedopsError(
          FedopsErrorCode.NotFound,
          `${subject} is not a member of organisation ${orgId}`,
        );
      }
      await tx.getRepository(OrganisationMemberEntity).delete({ orgId, subject });
      await tx.query(
        `UPDATE api_tokens SET revoked_at = now()
          WHERE org_id = $1 AND created_by = $2 AND created_by_issuer = ANY($3) AND revoked_at IS NULL`,
        [orgId, subject, members.map((m) => m.issuer)],
      );
      return first;
    });
    forgetCallerRecords();
    this.log.info('member removed', { orgId, subject, by: principal.subject });
    return toMemberView(removed);
  }

  /** Creates the organisations that do not exist yet (FEDOPS_SEED_ORGANISATIONS); existing ones are left as they are. */
  async seed(organisations: ReadonlyArray<{ id: string; name: string }>): Promise<string[]> {
    const created: string[] = [];
    for (const { id, name } of organisations) {
      const rows: unknown[] = await this.dataSource.query(
        `INSERT INTO organisations (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [id, name],
      );
      if (rows.length > 0) created.push(id);
    }
    forgetCallerRecords();
    if (created.length > 0) this.log.info('organisations seeded', { created });
    return created;
  }

  /** The organisation if the caller may see it: ops staff any, an operator their own; others are not found. */
  private async findVisible(
    principal: Principal,
    orgId: string,
    manager: EntityManager,
    forUpdate = false,
  ): Promise<OrganisationEntity> {
    // Not an id (a NUL, a slash, ...): nothing to look up, and nothing the database should see.
    const visible = ORG_ID.test(orgId) && (principal.roles.includes('ops') || principal.orgId === orgId);
    const organisation = visible
      ? await manager.getRepository(OrganisationEntity).findOne({
          where: { id: orgId },
          ...(forUpdate ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        })
      : null;
    if (organisation === null)
      throw new FedopsError(FedopsErrorCode.NotFound, `Organisation ${orgId} not found`);
    return organisation;
  }

  private tagged(organisation: OrganisationEntity, usage: QuotaAmounts): TaggedOrganisation {
    return { view: toOrganisationView(organisation, usage), etag: organisationTag(organisation) };
  }
}

export function organisationTag(o: Pick<OrganisationEntity, 'id' | 'version'>): string {
  return entityTag('organisation', o.id, o.version);
}

export function toOrganisationView(o: OrganisationEntity, usage?: QuotaAmounts): OrganisationView {
  return {
    id: o.id,
    name: o.name,
    quotas: inQuotaOrder(o.quotas),
    ...(usage !== undefined ? { usage } : {}),
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
    links: { self: `/v1/organisations/${o.id}`, members: `/v1/organisations/${o.id}/members` },
  };
}

export function toMemberView(m: OrganisationMemberEntity): MemberView {
  return {
    org: m.orgId,
    subject: m.subject,
    issuer: m.issuer,
    role: m.role,
    addedBy: m.addedBy,
    createdAt: m.createdAt.toISOString(),
    links: {
      self: `/v1/organisations/${m.orgId}/members/${encodeURIComponent(m.subject)}`,
      organisation: `/v1/organisations/${m.orgId}`,
    },
  };
}

/** The limits in QUOTA_NAMES order (jsonb keeps its own key order). */
function inQuotaOrder(quotas: Quotas): Quotas {
  return Object.fromEntries(QUOTA_NAMES.flatMap((q) => (quotas[q] === undefined ? [] : [[q, quotas[q]]])));
}
