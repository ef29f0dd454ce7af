import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openServiceDataSource } from '@fedops/service-kit';
import { createTestDatabase, dropTestDatabase } from '@fedops/testing';
import type { Principal } from '../auth';
import { Initial1764284400000 } from '../migrations/1764284400000-initial';
import { Operations1764900000000 } from '../migrations/1764900000000-operations';
import { StreamTickets1765000000002 } from '../migrations/1765000000002-stream-tickets';
import { StreamTickets, redeemStreamTicket } from './stream-tickets';

describe('stream tickets on PostgreSQL', () => {
  let databaseUrl: string;
  let dataSource: DataSource;
  let tickets: StreamTickets;
  const tenantId = randomUUID();
  const principal: Principal = {
    subject: 'fedops-operator-acme',
    roles: ['operator'],
    orgId: 'acme',
    scopes: ['tenants:read'],
    apiTokenId: 'tok-1',
  };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('tenant_api_tickets');
    dataSource = await openServiceDataSource({
      url: databaseUrl,
      schema: 'tenant_api',
      entities: [],
      migrations: [Initial1764284400000, Operations1764900000000, StreamTickets1765000000002],
    });
    // One transaction: the tenant's latest-operation reference is checked at commit.
    await dataSource.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO tenants (id, org_id, domain, apps, hostnames, provider, status, last_operation_id)
       VALUES ($1, 'acme', 'tickets.example.org', '[]', '[]', 'sandbox', 'ready', 'op-1')`,
        [tenantId],
      );
      await tx.query(
        `INSERT INTO operations (id, kind, tenant_id, org_id, requested_by, status) VALUES ('op-1', 'deploy', $1, 'acme', 'x', 'succeeded')`,
        [tenantId],
      );
    });
    tickets = new StreamTickets(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
  });

  it('gives back the principal it was issued to, for its tenant, while it lasts; then refuses it as expired', async () => {
    const { ticket } = await tickets.issue(principal, tenantId);
    expect(await redeemStreamTicket(dataSource, ticket, tenantId)).toEqual(principal);
    // Usable again while it lasts: EventSource reconnects with the same URL.
    expect(await redeemStreamTicket(dataSource, ticket, tenantId)).toEqual(principal);
    await expect(redeemStreamTicket(dataSource, ticket, randomUUID())).rejects.toThrow('another tenant');

    await dataSource.query(`UPDATE stream_tickets SET expires_at = now() - interval '1 second'`);
    await expect(redeemStreamTicket(dataSource, ticket, tenantId)).rejects.toThrow('stream ticket expired');
  });

  it('stores only a hash of the ticket', async () => {
    const { ticket } = await tickets.issue(principal, tenantId);
    const rows: Array<{ ticket_hash: string }> = await dataSource.query(
      `SELECT ticket_hash FROM stream_tickets`,
    );
    expect(rows.some((r) => r.ticket_hash.includes(ticket.slice(4, 20)))).toBe(false);
    expect(JSON.stringify(rows)).not.toContain(ticket);
  });
});
