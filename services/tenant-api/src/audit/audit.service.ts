import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FedopsError } from '@fedops/domain';
import type { Principal } from '../auth';
import { fetchPage, parseListQuery, toPage, type Page } from '../pagination/list-query';
import { AuditEntryEntity } from './audit-entry.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

export const AUDIT_LIST_FILTERS = [
  { name: 'tenant', pattern: UUID, description: 'a tenant id (UUID)' },
  { name: 'org', pattern: /^[a-z0-9][a-z0-9-]{0,62}$/, description: 'an organisation id' },
  { name: 'actor', pattern: /^[\x21-\x7e]{1,255}$/, description: "a token's subject, or system:<service>" },
  {
    name: 'action',
    pattern: /^[\x20-\x7e]{1,120}$/,
    description: 'e.g. `POST /v1/tenants` or an event kind',
  },
  { name: 'since', pattern: TIMESTAMP, description: 'an RFC 3339 UTC time (inclusive)' },
  { name: 'until', pattern: TIMESTAMP, description: 'an RFC 3339 UTC time (exclusive)' },
] as const;

export interface AuditEntryView {
  id: string;
  at: string;
  org?: string;
  tenantId?: string;
  actor: string;
  action: string;
  target?: string;
  result: string;
  sourceIp?: string;
  detail: Record<string, unknown>;
}

/** The audit log, newest first: ops staff see all of it, an organisation what concerns it. */
@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  async list(principal: Principal, query: Record<string, unknown>): Promise<Page<AuditEntryView>> {
    const { page, filters } = parseListQuery(query, AUDIT_LIST_FILTERS);
    const ops = principal.roles.includes('ops');
    const qb = this.dataSource.getRepository(AuditEntryEntity).createQueryBuilder('a');
    if (!ops) qb.andWhere('a.org_id = :own', { own: principal.orgId ?? '\u0000' });
    if (filters.org !== undefined) qb.andWhere('a.org_id = :org', { org: filters.org });
    if (filters.tenant !== undefined) qb.andWhere('a.tenant_id = :tenant', { tenant: filters.tenant });
    if (filters.actor !== undefined) qb.andWhere('a.actor = :actor', { actor: filters.actor });
    if (filters.action !== undefined) qb.andWhere('a.action = :action', { action: filters.action });
    const since = timestampFilter('since', filters.since);
    const until = timestampFilter('until', filters.until);
    if (since !== undefined) qb.andWhere('a.at >= :since', { since });
    if (until !== undefined) qb.andWhere('a.at < :until', { until });
    if (since !== undefined && until !== undefined && since.getTime() >= until.getTime()) {
      throw FedopsError.validation([{ field: 'until', message: 'must be later than since' }]);
    }
    const rows = await fetchPage(qb, page, { at: 'a.at', id: 'a.id', order: 'DESC' });
    return toPage(rows, page.limit, (row) => toAuditView(row, ops));
  }
}

/**
 * A since/until filter as a time. The pattern admits strings that name no time (`2026-13-01`,
 * `0000-00-00`), which the database would refuse with an error: they are a 400 naming the parameter.
 */
function timestampFilter(field: 'since' | 'until', value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime()))
    throw FedopsError.validation([
      { field, message: 'must be an RFC 3339 UTC time (this one does not exist)' },
    ]);
  return at;
}

/** Operators do not see where ops staff worked from (a change without the caller's `actorOrg`). */
function toAuditView(row: AuditEntryEntity, ops: boolean): AuditEntryView {
  const staff = row.detail['actorOrg'] === undefined;
  return {
    id: row.id,
    at: row.createdAt.toISOString(),
    ...(row.orgId !== null ? { org: row.orgId } : {}),
    ...(row.tenantId !== null ? { tenantId: row.tenantId } : {}),
    actor: row.actor,
    action: row.action,
    ...(row.target !== null ? { target: row.target } : {}),
    result: row.result,
    ...(row.sourceIp !== null && (ops || !staff) ? { sourceIp: row.sourceIp } : {}),
    detail: row.detail,
  };
}
