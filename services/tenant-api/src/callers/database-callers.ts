import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { describeError } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import { resolvePrincipal, type CallerDirectory, type CallerRecords } from '../auth/callers';
import { ExpiringCache } from '../caching/expiring-cache';
import { invalidToken, isRole, type Principal, type TokenIdentity } from '../auth/principal';
import { isScope } from '../auth/scopes';
import { parseApiToken, secretMatches } from '../api-tokens/api-token-secret';
import { ApiTokenEntity } from '../api-tokens/api-token.entity';
import { redeemStreamTicket } from '../events/stream-tickets';

/**
 * How long a caller's membership is taken as read. This process forgets it at once when
 * organisations or members change (forgetCallerRecords); other tenant-api instances within this.
 */
export const CALLER_RECORDS_TTL_MS = 5_000;

/** One per process: DatabaseCallers reads it, the organisation service empties it on every change. */
const callerRecords = new ExpiringCache<string, CallerRecords>(10_000);

export function forgetCallerRecords(): void {
  callerRecords.clear();
}

/** How stale `last_used_at` may get: it is written at most once a minute per token. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The callers fedops knows: organisation members (the organisation of an operator) and API tokens,
 * read from tenant-api's tables. The rules are `resolvePrincipal`'s.
 */
@Injectable()
export class DatabaseCallers implements CallerDirectory {
  private readonly log;
  private readonly records = callerRecords;

  constructor(
    private readonly dataSource: DataSource,
    logger: JsonLogger,
  ) {
    this.log = logger.child('auth');
  }

  async resolveIdentity(identity: TokenIdentity, issuer: string): Promise<Principal> {
    if (identity.roles.includes('ops'))
      return resolvePrincipal(identity, issuer, { claimedOrgExists: false });
    return resolvePrincipal(identity, issuer, await this.recordsOf(issuer, identity));
  }

  /**
   * Membership and whether the claimed organisation exists, in one query, remembered for
   * CALLER_RECORDS_TTL_MS: a removed member or a deleted organisation takes effect within that.
   */
  private async recordsOf(issuer: string, identity: TokenIdentity): Promise<CallerRecords> {
    const key = `${issuer}\u0000${identity.subject}\u0000${identity.orgClaim ?? ''}`;
    const cached = this.records.get(key);
    if (cached !== undefined) return cached;
    const rows: Array<{ member_of: string | null; claimed_org_exists: boolean }> =
      await this.dataSource.query(
        `SELECT (SELECT org_id FROM organisation_members WHERE issuer = $1 AND subject = $2) AS member_of,
              EXISTS (SELECT 1 FROM organisations WHERE id = $3) AS claimed_org_exists`,
        [issuer, identity.subject, identity.orgClaim ?? null],
      );
    const memberOf = rows[0]?.member_of ?? undefined;
    const records: CallerRecords = {
      ...(memberOf !== undefined ? { memberOf } : {}),
      claimedOrgExists:
        memberOf === undefined && identity.orgClaim !== undefined && rows[0]?.claimed_org_exists === true,
    };
    this.records.set(key, records, CALLER_RECORDS_TTL_MS);
    return records;
  }

  /**
   * An API token's principal: its creator's subject, roles and organisation as they were when it was
   * made, and its own scopes. A wrong secret reads as an unknown token; whether a token was revoked
   * or expired is told only to whoever holds its secret.
   */
  resolveStreamTicket(ticket: string, tenantId: string): Promise<Principal> {
    return redeemStreamTicket(this.dataSource, ticket, tenantId);
  }

  async resolveApiToken(token: string): Promise<Principal> {
    const parts = parseApiToken(token);
    if (parts === undefined) throw invalidToken('malformed API token');
    const row = await this.dataSource.getRepository(ApiTokenEntity).findOneBy({ id: parts.id });
    if (row === null || !secretMatches(parts.secret, row.secretSha256))
      throw invalidToken('unknown API token');
    if (row.revokedAt !== null) throw invalidToken('API token revoked');
    const now = Date.now();
    if (row.expiresAt.getTime() <= now) throw invalidToken('API token expired');
    if (row.lastUsedAt === null || now - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.touch(row.id);
    }
    return {
      subject: row.createdBy,
      issuer: row.createdByIssuer,
      roles: row.roles.filter(isRole),
      ...(row.orgId !== null ? { orgId: row.orgId } : {}),
      scopes: row.scopes.filter(isScope),
      apiTokenId: row.id,
    };
  }

  /** Records the use; the condition keeps several API instances to one write a minute too. */
  private async touch(id: string): Promise<void> {
    try {
      await this.dataSource.query(
        `UPDATE api_tokens SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - $2 * interval '1 millisecond')`,
        [id, LAST_USED_RESOLUTION_MS],
      );
    } catch (err) {
      // Losing a last-used time is not worth failing the request for.
      this.log.warn('could not record the use of an API token', { tokenId: id, error: describeError(err) });
    }
  }
}
