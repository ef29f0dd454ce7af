/** JetStream stream that carries every domain event. */
export const EVENTS_STREAM = 'FEDOPS_EVENTS';
export const EVENTS_SUBJECT_ROOT = 'fedops';

export const EVENT_KINDS = [
  'tenant.status.changed',
  'tenant.drift.detected',
  'tenant.backup.failed',
  'operation.progress',
  'operation.finished',
  'change.requested',
  'machine.created',
  'machine.destroyed',
  'machine.orphaned',
  'machine.missing',
  'dns.records.applied',
  'dns.records.removed',
  'deployment.activated',
  'deployment.removed',
  'backup.repository.initialised',
  'backup.repository.deleted',
  'backup.repository.purged',
  'backup.snapshot.taken',
  'backup.progress',
  'backup.restored',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * The tenant part of the subject of events about no single tenant (an organisation's tokens or
 * members). Tenant ids are UUIDs, so it never names a tenant.
 */
export const PLATFORM_EVENT_SCOPE = 'platform';

/** What `change.requested` carries: one change asked of the API, who asked, from where, and its answer. */
export interface ChangeRequestedData extends Record<string, unknown> {
  actor: string;
  /** The caller's organisation (absent for ops staff). */
  org?: string;
  /** The organisation the change concerns (the tenant's, for a tenant). */
  targetOrg?: string;
  method: string;
  /** The route template, e.g. `POST /v1/tenants/{id}`. */
  action: string;
  path: string;
  /** What was changed: a tenant, operation, token or organisation id. */
  target?: string;
  status: number;
  sourceIp?: string;
  userAgent?: string;
}

/** The durable JetStream consumer through which tenant-api writes every event into its audit log. */
export const AUDIT_LOG_CONSUMER = 'audit-log';

/** `fedops.<tenant>.<kind>`; kinds are dotted, so consumers filter on `fedops.<tenant>.>`. */
export const eventSubject = (tenantId: string, kind: EventKind): string =>
  `${EVENTS_SUBJECT_ROOT}.${tenantId}.${kind}`;
export const tenantEventsFilter = (tenantId: string): string => `${EVENTS_SUBJECT_ROOT}.${tenantId}.>`;

export interface DomainEvent<T = Record<string, unknown>> {
  /** Unique per logical event; used as JetStream's Nats-Msg-Id so a retried activity publishes once. */
  id: string;
  tenantId: string;
  kind: EventKind;
  source: string;
  at: string;
  data: T;
}

/** NATS request/reply subjects (core NATS, a queue group per service). Outside `fedops.>`, which the events stream captures. */
export const FLEET_MACHINES_LIST_SUBJECT = 'rpc.fedops.provisioner.machines.list';
