import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import { effectiveScopes, type Principal } from '../auth';
import { TokenVerifier } from '../auth/token-verifier';
import { IdempotentRequests } from '../idempotency/idempotent-requests';
import { fetchPage, parseListQuery, toPage, type Page } from '../pagination/list-query';
import { hashSecret, newApiToken } from './api-token-secret';
import type {
  ApiTokenStatus,
  ApiTokenView,
  CreateApiTokenCommand,
  CreatedApiTokenView,
} from './api-token.dto';
import { ApiTokenEntity } from './api-token.entity';

const TOKEN_ID = /^[0-9a-f]{24}$/;

export const API_TOKEN_LIST_FILTERS = [
  {
    name: 'org',
    pattern: /^[a-z0-9][a-z0-9-]{0,62}$/,
    description: "an organisation id (ops staff only: that organisation's tokens, whoever made them)",
  },
] as const;

/**
 * API tokens for automation: minted by a caller of the identity provider with at most that caller's
 * role, organisation and scopes, listed and revoked by their creator (and by ops staff).
 */
@Injectable()
export class ApiTokenService {
  private readonly log;

  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotent: IdempotentRequests,
    private readonly verifier: TokenVerifier,
    logger: JsonLogger,
  ) {
    this.log = logger.child('api-tokens');
  }

  /**
   * Mints a token and answers its secret, this once. The stored answer of an Idempotency-Key holds
   * no secret, so a retry of a create that did succeed cannot show it again: it is a 409 naming the
   * token to revoke, and no second token is made.
   */
  async create(
    principal: Principal,
    command: CreateApiTokenCommand,
    idempotencyKey: string | undefined,
  ): Promise<{ status: number; body: CreatedApiTokenView; location: string }> {
    const allowed = effectiveScopes(principal);
    const beyond = command.scopes.filter((s) => !allowed.includes(s));
    if (beyond.length > 0) {
      throw new FedopsError(
        FedopsErrorCode.Forbidden,
        `A token can have only scopes its creator has; you lack ${beyond.join(', ')} (you have: ${allowed.join(', ')})`,
      );
    }
    const issuer = principal.issuer ?? (await this.verifier.issuer());
    const minted = newApiToken();
    const { answer, replayed } = await this.idempotent.run(
      principal,
      idempotencyKey,
      { operation: 'createApiToken', params: command },
      async (tx) => {
        const repo = tx.getRepository(ApiTokenEntity);
        await tx.query(
          `INSERT INTO api_tokens (id, name, secret_sha256, roles, org_id, scopes, created_by, created_by_issuer, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9 * interval '1 second')`,
          [
            minted.id,
            command.name,
            hashSecret(minted.secret),
            principal.roles,
            principal.roles.includes('ops') ? null : (principal.orgId ?? null),
            command.scopes,
            principal.subject,
            issuer,
            command.expiresInSeconds,
          ],
        );
        const body = toApiTokenView(await repo.findOneByOrFail({ id: minted.id }));
        return { status: 201, body, location: body.links.self };
      },
    );
    if (replayed) {
      throw new FedopsError(
        FedopsErrorCode.Conflict,
        `The first request with this Idempotency-Key created token ${answer.body.id}; its secret was shown ` +
          `only in that answer and is not stored. Revoke it (DELETE /v1/tokens/${answer.body.id}) if the ` +
          'secret was lost, and create a new token with a new key.',
      );
    }
    this.log.info('API token created', {
      tokenId: minted.id,
      by: principal.subject,
      scopes: command.scopes,
      expiresAt: answer.body.expiresAt,
    });
    return { status: 201, body: { ...answer.body, token: minted.token }, location: answer.body.links.self };
  }

  /** The caller's own tokens, newest last; ops staff may ask for an organisation's (`org`). */
  async list(principal: Principal, query: Record<string, unknown>): Promise<Page<ApiTokenView>> {
    const { page, filters } = parseListQuery(query, API_TOKEN_LIST_FILTERS);
    const qb = this.dataSource.getRepository(ApiTokenEntity).createQueryBuilder('t');
    if (filters.org !== undefined) {
      if (!principal.roles.includes('ops')) {
        throw new FedopsError(
          FedopsErrorCode.Forbidden,
          "Only ops staff list an organisation's tokens (org)",
        );
      }
      qb.andWhere('t.org_id = :org', { org: filters.org });
    } else {
      qb.andWhere('t.created_by = :subject AND t.created_by_issuer = :issuer', {
        subject: principal.subject,
        issuer: principal.issuer ?? (await this.verifier.issuer()),
      });
    }
    const rows = await fetchPage(qb, page, { at: 't.created_at', id: 't.id', order: 'ASC' });
    return toPage(rows, page.limit, (t) => toApiTokenView(t));
  }

  /** Revokes the token at once (the next request with it is a 401). Revoking it again changes nothing. */
  async revoke(principal: Principal, tokenId: string): Promise<ApiTokenView> {
    const issuer = principal.issuer ?? (await this.verifier.issuer());
    const token = await this.dataSource.transaction(async (tx) => {
      const repo = tx.getRepository(ApiTokenEntity);
      const found = TOKEN_ID.test(tokenId)
        ? await repo.findOne({ where: { id: tokenId }, lock: { mode: 'pessimistic_write' } })
        : null;
      const own = found !== null && found.createdBy === principal.subject && found.createdByIssuer === issuer;
      if (found === null || !(own || principal.roles.includes('ops'))) {
        throw new FedopsError(FedopsErrorCode.NotFound, `API token ${tokenId} not found`);
      }
      if (found.revokedAt !== null) return found;
      await tx.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [tokenId]);
      return repo.findOneByOrFail({ id: tokenId });
    });
    this.log.info('API token revoked', { tokenId, by: principal.subject });
    return toApiTokenView(token);
  }
}

export function apiTokenStatus(t: ApiTokenEntity, now = new Date()): ApiTokenStatus {
  if (t.revokedAt !== null) return 'revoked';
  return t.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
}

export function toApiTokenView(t: ApiTokenEntity, now = new Date()): ApiTokenView {
  return {
    id: t.id,
    name: t.name,
    status: apiTokenStatus(t, now),
    scopes: t.scopes,
    roles: t.roles,
    ...(t.orgId !== null ? { org: t.orgId } : {}),
    createdBy: t.createdBy,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt.toISOString(),
    ...(t.revokedAt !== null ? { revokedAt: t.revokedAt.toISOString() } : {}),
    ...(t.lastUsedAt !== null ? { lastUsedAt: t.lastUsedAt.toISOString() } : {}),
    links: { self: `/v1/tokens/${t.id}` },
  };
}
