import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { invalidToken, isRole, type Principal } from '../auth/principal';
import { isScope } from '../auth/scopes';

/** How long a ticket opens streams: long enough for a page to connect, short enough to be worthless in a log. */
export const STREAM_TICKET_TTL_SECONDS = 60;
export const STREAM_TICKET_PREFIX = 'fst_';
const TICKET = /^fst_[A-Za-z0-9_-]{43}$/;

export interface IssuedStreamTicket {
  ticket: string;
  expiresAt: string;
}

/** Only the hash is stored: a ticket is 256 random bits, so SHA-256 needs no salt or stretching. */
const hashOf = (ticket: string): string => createHash('sha256').update(ticket).digest('hex');

/**
 * Tickets that let a browser's EventSource (which cannot send an Authorization header) open one
 * tenant's event stream: issued to an authenticated caller, bound to the tenant, usable for
 * STREAM_TICKET_TTL_SECONDS (EventSource reconnects by itself with the same URL), acting for the
 * caller as they were when it was issued. No long-lived credential ever appears in a URL.
 */
@Injectable()
export class StreamTickets {
  constructor(private readonly dataSource: DataSource) {}

  async issue(principal: Principal, tenantId: string): Promise<IssuedStreamTicket> {
    const ticket = `${STREAM_TICKET_PREFIX}${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + STREAM_TICKET_TTL_SECONDS * 1000);
    // Expired tickets are dropped as new ones are issued; an hour's margin keeps this cheap.
    await this.dataSource.query(`DELETE FROM stream_tickets WHERE expires_at < now() - interval '1 hour'`);
    await this.dataSource.query(
      `INSERT INTO stream_tickets (ticket_hash, tenant_id, principal, expires_at) VALUES ($1, $2, $3::jsonb, $4)`,
      [hashOf(ticket), tenantId, JSON.stringify(principal), expiresAt],
    );
    return { ticket, expiresAt: expiresAt.toISOString() };
  }
}

/** The principal a ticket was issued to, if it is known, unexpired and for this tenant. */
export async function redeemStreamTicket(
  dataSource: DataSource,
  ticket: string,
  tenantId: string,
): Promise<Principal> {
  if (!TICKET.test(ticket)) throw invalidToken('malformed stream ticket');
  const rows: Array<{ tenant_id: string; principal: unknown; expired: boolean }> = await dataSource.query(
    `SELECT tenant_id, principal, expires_at <= now() AS expired FROM stream_tickets WHERE ticket_hash = $1`,
    [hashOf(ticket)],
  );
  const row = rows[0];
  if (row === undefined) throw invalidToken('unknown stream ticket');
  if (row.expired) throw invalidToken('stream ticket expired; ask for a new one');
  if (row.tenant_id !== tenantId) throw invalidToken("stream ticket is for another tenant's events");
  return principalFromRecord(row.principal);
}

/** The stored principal, checked as any input is (it is our own record, but a bad one must not half-pass). */
function principalFromRecord(value: unknown): Principal {
  const p = value as Partial<Record<keyof Principal, unknown>>;
  if (typeof p.subject !== 'string' || !Array.isArray(p.roles) || !p.roles.every(isRole)) {
    throw invalidToken('stream ticket record is damaged');
  }
  return {
    subject: p.subject,
    roles: p.roles,
    ...(typeof p.orgId === 'string' ? { orgId: p.orgId } : {}),
    ...(typeof p.issuer === 'string' ? { issuer: p.issuer } : {}),
    ...(Array.isArray(p.scopes) && p.scopes.every(isScope) ? { scopes: p.scopes } : {}),
    ...(typeof p.apiTokenId === 'string' ? { apiTokenId: p.apiTokenId } : {}),
  };
}
