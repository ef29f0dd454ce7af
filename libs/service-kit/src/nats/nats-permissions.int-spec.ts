import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  EVENTS_STREAM,
  EVENT_KINDS,
  FLEET_MACHINES_LIST_SUBJECT,
  eventSubject,
  tenantEventsFilter,
  type DomainEvent,
  type EventKind,
} from '@fedops/contracts';
import {
  EVENT_PUBLISHERS,
  NATS_SERVICE_USERS,
  startNats,
  type NatsEndpoint,
  type NatsServiceUser,
  type RunningComponent,
} from '@fedops/testing';
import { ErrorCode, JSONCodec, connect, createInbox, type NatsConnection } from 'nats';

import { EventPublisher, ensureEventsStream } from '../events/event-publisher';
import { natsConnectionOptions } from './nats-connection';

/**
 * The NATS users and permissions of the harness (libs/testing/src/infra/nats.config.ts) on a real
 * nats-server of its own (a fresh one: the services' users create the stream here, and a
 * permission that were too wide could not delete the stream the other test files use), with the
 * connections made exactly as the services make them (natsConnectionOptions, ensureEventsStream,
 * EventPublisher).
 */
describe('NATS authentication and per-service permissions', () => {
  const json = JSONCodec();
  let dir: string;
  let nats: RunningComponent<NatsEndpoint>;
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-nats-permissions-'));
    await chmod(dir, 0o700);
    nats = await startNats({ dataDir: dir, ephemeral: true });
  });

  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close()));
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Connects as the service does, with its password. */
  async function connectAs(user: NatsServiceUser): Promise<NatsConnection> {
    const { url, services } = nats.endpoint;
    const nc = await connect({
      ...natsConnectionOptions({ natsUrl: url, natsUser: user, natsPassword: services[user].password }, user),
      reconnect: false,
    });
    open.push(nc);
    return nc;
  }

  async function connectAsAdmin(): Promise<NatsConnection> {
    const { url, admin } = nats.endpoint;
    const nc = await connect({ servers: url, user: admin.user, pass: admin.password, reconnect: false });
    open.push(nc);
    return nc;
  }

  /** The server's refusal, as nats.js reports it to the call that caused it. */
  const refusal = (operation: 'publish' | 'subscription', subject: string): object => ({
    code: ErrorCode.PermissionsViolation,
    permissionContext: { operation, subject },
  });

  /**
   * Subscribes and waits for the subscription to end: rejects with the server's refusal, or (a
   * permission too wide) with a timeout when 5 s pass without a message, or at the first message.
   */
  async function drain(nc: NatsConnection, subject: string, queue?: string): Promise<void> {
    const sub = nc.subscribe(subject, { timeout: 5_000, ...(queue === undefined ? {} : { queue }) });
    for await (const message of sub) throw new Error(`subscribed: a message arrived on ${message.subject}`);
  }

  it('refuses a client without credentials, with a wrong password or with another service’s password', async () => {
    const { url, services } = nats.endpoint;
    const authorizationViolation = { code: ErrorCode.AuthorizationViolation };
    await expect(connect({ servers: url, reconnect: false })).rejects.toMatchObject(authorizationViolation);
    const wrong = 'not-the-password-1234';
    const failure = await connect({ servers: url, user: 'tenant-api', pass: wrong, reconnect: false }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject(authorizationViolation);
    expect(String(failure)).not.toContain(wrong);
    await expect(
      connect({ servers: url, user: 'deployer', pass: services['tenant-api'].password, reconnect: false }),
    ).rejects.toMatchObject(authorizationViolation);
  });

  it('lets a service create the events stream and every service publish its own events, which tenant-api reads', async () => {
    const tenant = randomUUID();
    const admin = await connectAsAdmin();
    const jsm = await admin.jetstreamManager();
    await expect(jsm.streams.info(EVENTS_STREAM)).rejects.toThrow(/stream not found/);

    for (const user of NATS_SERVICE_USERS) {
      const nc = await connectAs(user);
      await ensureEventsStream(nc); // the first creates it, the others find it
      const publisher = new EventPublisher(nc, user);
      for (const kind of EVENT_KINDS.filter((k) => EVENT_PUBLISHERS[k] === user))
        await publisher.publish(tenant, kind, `${tenant}/${kind}`, { by: user });
    }
    expect((await jsm.streams.info(EVENTS_STREAM)).config.subjects).toEqual(['fedops.>']);

    // As the SSE endpoint reads them: an ordered consumer on the tenant's subjects.
    const tenantApi = await connectAs('tenant-api');
    const consumer = await tenantApi.jetstream().consumers.get(EVENTS_STREAM, {
      filterSubjects: tenantEventsFilter(tenant),
    });
    const messages = await consumer.consume();
    const deadline = setTimeout(() => void messages.close(), 20_000);
    const sources = new Map<EventKind, string>();
    try {
      for await (const message of messages) {
        const event = json.decode(message.data) as DomainEvent;
        sources.set(event.kind, event.source);
        if (sources.size === EVENT_KINDS.length) break;
      }
    } finally {
      clearTimeout(deadline);
      await messages.close();
    }
    expect(Object.fromEntries(sources)).toEqual(EVENT_PUBLISHERS);
  });

  it('keeps each service to its own kinds of events', async () => {
    const tenant = randomUUID();
    const deployer = await connectAs('deployer');
    await ensureEventsStream(deployer);
    const subject = eventSubject(tenant, 'machine.created');
    await expect(
      new EventPublisher(deployer, 'deployer').publish(tenant, 'machine.created', `${tenant}/forged`, {}),
    ).rejects.toMatchObject(refusal('publish', subject));
    const tenantApi = await connectAs('tenant-api');
    await expect(
      tenantApi.jetstream().publish(eventSubject(tenant, 'dns.records.applied')),
    ).rejects.toMatchObject(refusal('publish', eventSubject(tenant, 'dns.records.applied')));
    const jsm = await (await connectAsAdmin()).jetstreamManager();
    await expect(jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: subject })).rejects.toThrow(
      /no message found/,
    );
  });

  it('lets only the provisioner answer tenant-api’s requests, in its queue group', async () => {
    const provisioner = await connectAs('provisioner');
    const deployer = await connectAs('deployer');
    const tenantApi = await connectAs('tenant-api');

    // The deployer may neither take the requests, with or without the provisioner's queue group …
    await expect(drain(deployer, FLEET_MACHINES_LIST_SUBJECT)).rejects.toMatchObject(
      refusal('subscription', FLEET_MACHINES_LIST_SUBJECT),
    );
    await expect(drain(deployer, FLEET_MACHINES_LIST_SUBJECT, 'provisioner')).rejects.toMatchObject(
      refusal('subscription', FLEET_MACHINES_LIST_SUBJECT),
    );
    // … nor read tenant-api's replies, nor send the request itself.
    await expect(drain(deployer, '_INBOX.tenant-api.>')).rejects.toMatchObject(
      refusal('subscription', '_INBOX.tenant-api.>'),
    );
    await expect(drain(deployer, '_INBOX.>')).rejects.toMatchObject(refusal('subscription', '_INBOX.>'));
    await expect(deployer.request(FLEET_MACHINES_LIST_SUBJECT, json.encode({}))).rejects.toMatchObject(
      refusal('publish', FLEET_MACHINES_LIST_SUBJECT),
    );
    // The provisioner, too, takes them only in its queue group (as Nest's NATS server subscribes).
    await expect(drain(provisioner, FLEET_MACHINES_LIST_SUBJECT)).rejects.toMatchObject(
      refusal('subscription', FLEET_MACHINES_LIST_SUBJECT),
    );

    const requests = provisioner.subscribe(FLEET_MACHINES_LIST_SUBJECT, { queue: 'provisioner' });
    const answering = (async () => {
      for await (const request of requests) request.respond(json.encode({ from: 'provisioner' }));
    })();
    await provisioner.flush();

    // A request as Nest's client sends it: to the subject, with a reply subject in tenant-api's inbox.
    const inbox = createInbox('_INBOX.tenant-api');
    const replies = tenantApi.subscribe(inbox, { max: 1 });
    tenantApi.publish(FLEET_MACHINES_LIST_SUBJECT, json.encode({}), { reply: inbox });
    // Someone else answering there is refused: the deployer may publish to no reply subject.
    await expect(deployer.request(inbox, json.encode({ from: 'deployer' }))).rejects.toMatchObject(
      refusal('publish', inbox),
    );
    const received: unknown[] = [];
    for await (const reply of replies) received.push(json.decode(reply.data));
    expect(received).toEqual([{ from: 'provisioner' }]);

    const reply = await tenantApi.request(FLEET_MACHINES_LIST_SUBJECT, json.encode({}), { timeout: 5_000 });
    expect(json.decode(reply.data)).toEqual({ from: 'provisioner' });
    requests.unsubscribe();
    await answering;
  });

  it('lets no service delete, empty or change the events stream', async () => {
    const admin = await (await connectAsAdmin()).jetstreamManager();
    await admin.streams.add({ name: EVENTS_STREAM, subjects: ['fedops.>'] }).catch(() => undefined);
    for (const user of NATS_SERVICE_USERS) {
      const jsm = await (await connectAs(user)).jetstreamManager();
      await expect(jsm.streams.delete(EVENTS_STREAM)).rejects.toMatchObject(
        refusal('publish', `$JS.API.STREAM.DELETE.${EVENTS_STREAM}`),
      );
      await expect(jsm.streams.purge(EVENTS_STREAM)).rejects.toMatchObject(
        refusal('publish', `$JS.API.STREAM.PURGE.${EVENTS_STREAM}`),
      );
      await expect(jsm.streams.update(EVENTS_STREAM, { max_msgs: 1 })).rejects.toMatchObject(
        refusal('publish', `$JS.API.STREAM.UPDATE.${EVENTS_STREAM}`),
      );
    }
    expect((await admin.streams.info(EVENTS_STREAM)).config.name).toBe(EVENTS_STREAM);
  });
});
