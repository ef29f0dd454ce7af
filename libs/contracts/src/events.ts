/** JetStream stream that carries every domain event. */
export const EVENTS_STREAM = 'FEDOPS_EVENTS';
export const EVENTS_SUBJECT_ROOT = 'fedops';

export const EVENT_KINDS = [
  'tenant.status.changed',
  'machine.created',
  'machine.destroyed',
  'dns.records.applied',
  'dns.records.removed',
  'deployment.activated',
  'deployment.removed',
  'backup.repository.initialised',
  'backup.repository.deleted',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

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
