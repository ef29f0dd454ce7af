import { Injectable, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import type { Principal } from '../auth';
import { IdempotencyKeyEntity } from './idempotency-key.entity';

/** What a POST answers: stored with its key, and replayed as it was. */
export interface Answer<T> {
  status: number;
  body: T;
  location?: string;
}

const KEY = /^[\x21-\x7e]{1,255}$/;
const UNIQUE_VIOLATION = '23505';

/** The request's Idempotency-Key header, validated: 1-255 visible ASCII characters, or absent. */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined => {
    const raw = ctx.switchToHttp().getRequest<Request>().header('idempotency-key');
    if (raw === undefined) return undefined;
    if (!KEY.test(raw)) {
      throw FedopsError.validation([
        { field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' },
      ]);
    }
    return raw;
  },
);

/** The OpenAPI description of the header, shared by every POST. */
export const IDEMPOTENCY_KEY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description:
    'Makes a retried request safe: a request repeating a key (within the organisation, or for ops staff ' +
    'their own keys) gets the first answer back and changes nothing; the same key with a different ' +
    'request is answered with 422.',
  schema: { type: 'string' as const, pattern: '^[\\x21-\\x7e]{1,255}$' },
};

/**
 * Every POST with an Idempotency-Key: its changes and its answer are stored in one transaction, so
 * a retry after any failure either replays the stored answer or finds nothing done and runs anew.
 */
@Injectable()
export class IdempotentRequests {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in a transaction and answers what it returns; with a key, a repeat of the same
   * request (same operation and parameters) gets the stored answer with `replayed: true`.
   */
  async run<T>(
    principal: Principal,
    key: string | undefined,
    request: { operation: string; params: unknown },
    work: (tx: EntityManager) => Promise<Answer<T>>,
  ): Promise<{ answer: Answer<T>; replayed: boolean }> {
    if (key === undefined) return { answer: await this.dataSource.transaction(work), replayed: false };
    const scope = principal.roles.includes('ops')
      ? `sub:${principal.subject}`
      : `org:${principal.orgId ?? ''}`;
    const requestHash = createHash('sha256').update(canonicalJson(request)).digest('hex');
    const stored = await this.replay<T>(scope, key, requestHash);
    if (stored !== undefined) return { answer: stored, replayed: true };
    try {
      const answer = await this.dataSource.transaction(async (tx) => {
        const result = await work(tx);
        // Plain INSERT (not save, which would update a row another request stored meanwhile).
        await tx.query(
          `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, body, location)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6)`,
          [scope, key, requestHash, result.status, JSON.stringify(result.body), result.location ?? null],
        );
        return result;
      });
      return { answer, replayed: false };
    } catch (err) {
      // A concurrent request with the same key won the race: answer as it did.
      if (isUniqueViolation(err, 'idempotency_keys_pkey')) {
        const winner = await this.replay<T>(scope, key, requestHash);
        if (winner !== undefined) return { answer: winner, replayed: true };
      }
      throw err;
    }
  }

  private async replay<T>(scope: string, key: string, requestHash: string): Promise<Answer<T> | undefined> {
    const record = await this.dataSource.getRepository(IdempotencyKeyEntity).findOneBy({ scope, key });
    if (record === null) return undefined;
    if (record.requestHash !== requestHash) {
      throw new FedopsError(
        FedopsErrorCode.IdempotencyKeyReused,
        'This Idempotency-Key was used for a different request; use a new key for a new request',
      );
    }
    return {
      status: record.statusCode,
      body: record.body as T,
      ...(record.location !== null ? { location: record.location } : {}),
    };
  }
}

/** Sets the answer's status and Location on the response and returns its body (for `passthrough` handlers). */
export function sendAnswer<T>(res: Response, answer: Answer<T>): T {
  res.status(answer.status);
  if (answer.location !== undefined) res.setHeader('Location', answer.location);
  return answer.body;
}

export function isUniqueViolation(err: unknown, constraint: string): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const driverError = err.driverError as { code?: string; constraint?: string };
  return driverError.code === UNIQUE_VIOLATION && driverError.constraint === constraint;
}

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
