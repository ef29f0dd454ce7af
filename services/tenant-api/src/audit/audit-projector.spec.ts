import { PLATFORM_EVENT_SCOPE, type DomainEvent } from '@fedops/contracts';
import { auditLineOf } from './audit-projector';

const at = '2026-12-01T10:00:00.000Z';

describe('auditLineOf', () => {
  it('takes who, what, from where and the answer of a change asked of the API', () => {
    const event: DomainEvent = {
      id: 'change/1',
      tenantId: '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
      kind: 'change.requested',
      source: 'tenant-api',
      at,
      data: {
        actor: 'fedops-operator-acme',
        org: 'acme',
        method: 'DELETE',
        action: 'DELETE /v1/tenants/{id}',
        path: '/v1/tenants/0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
        target: '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
        status: 202,
        sourceIp: '::1',
        userAgent: 'curl/8',
      },
    };
    expect(auditLineOf(event)).toEqual({
      eventId: 'change/1',
      at,
      orgId: 'acme',
      tenantId: event.tenantId,
      actor: 'fedops-operator-acme',
      action: 'DELETE /v1/tenants/{id}',
      target: event.tenantId,
      result: '202',
      sourceIp: '::1',
      detail: {
        method: 'DELETE',
        path: '/v1/tenants/0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
        userAgent: 'curl/8',
        actorOrg: 'acme',
      },
    });
  });

  it("files an ops change by the organisation it concerns, without an actor's organisation", () => {
    const line = auditLineOf({
      id: 'change/2',
      tenantId: PLATFORM_EVENT_SCOPE,
      kind: 'change.requested',
      source: 'tenant-api',
      at,
      data: {
        actor: 'ops-alice',
        targetOrg: 'globex',
        method: 'POST',
        action: 'POST /v1/tokens',
        path: '/v1/tokens',
        status: 201,
      },
    });
    expect(line).toMatchObject({
      orgId: 'globex',
      tenantId: null,
      detail: { method: 'POST', path: '/v1/tokens' },
    });
    expect(line.detail['actorOrg']).toBeUndefined();
  });

  it('takes what a service did from a domain event, with the operation or machine it concerns', () => {
    expect(
      auditLineOf({
        id: 'op-1/finished/failed',
        tenantId: '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
        kind: 'operation.finished',
        source: 'tenant-api',
        at,
        data: { operationId: 'op-1', kind: 'deploy', status: 'failed' },
      }),
    ).toMatchObject({
      actor: 'system:tenant-api',
      action: 'operation.finished',
      target: 'op-1',
      result: 'failed',
      orgId: null,
    });
    expect(
      auditLineOf({
        id: 'm-1/created',
        tenantId: '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
        kind: 'machine.created',
        source: 'provisioner',
        at,
        data: { machineId: 'm-1', address: '10.0.0.1' },
      }),
    ).toMatchObject({ actor: 'system:provisioner', target: 'm-1', result: 'ok' });
  });
});
