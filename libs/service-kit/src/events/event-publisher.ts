import { JSONCodec, type JetStreamClient, type NatsConnection } from 'nats';
import {
  EVENTS_STREAM,
  EVENTS_SUBJECT_ROOT,
  eventSubject,
  type DomainEvent,
  type EventKind,
} from '@fedops/contracts';

const codec = JSONCodec<DomainEvent>();

/** Creates the events stream if it does not exist (idempotent; every service calls it at start). */
export async function ensureEventsStream(nc: NatsConnection): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const config = {
    name: EVENTS_STREAM,
    subjects: [`${EVENTS_SUBJECT_ROOT}.>`],
    duplicate_window: 15 * 60 * 1_000_000_000, // ns; longer than an activity's retries, so a retried publish is stored once
    max_age: 30 * 24 * 3600 * 1_000_000_000,
  };
  try {
    await jsm.streams.info(EVENTS_STREAM);
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (err) {
      // Another service may have created it between our two calls.
      await jsm.streams.info(EVENTS_STREAM).catch(() => {
        throw err;
      });
    }
  }
}

/** Publishes domain events to JetStream and waits for the stream's ack. */
export class EventPublisher {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly source: string,
  ) {
    this.js = nc.jetstream();
  }

  /**
   * @param id stable id of the logical event (e.g. `<workflowId>/<step>`): a retried activity that
   *   publishes again with the same id within the duplicate window is stored once.
   */
  async publish<T extends Record<string, unknown>>(
    tenantId: string,
    kind: EventKind,
    id: string,
    data: T,
  ): Promise<DomainEvent<T>> {
    const event: DomainEvent<T> = {
      id,
      tenantId,
      kind,
      source: this.source,
      at: new Date().toISOString(),
      data,
    };
    // msgID becomes the Nats-Msg-Id header, by which JetStream drops a retried publish.
    await this.js.publish(eventSubject(tenantId, kind), codec.encode(event), { msgID: id });
    return event;
  }
}
