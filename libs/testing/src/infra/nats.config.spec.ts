import {
  ADMIN_PASSWORD_REVEAL_SUBJECT,
  BACKUP_SNAPSHOTS_GET_SUBJECT,
  BACKUP_SNAPSHOTS_LIST_SUBJECT,
  EVENT_KINDS,
  FLEET_MACHINES_LIST_SUBJECT,
  MACHINES_CLEANUP_SUBJECT,
  PLACEMENT_CHOOSE_SUBJECT,
  PROVIDERS_REGISTER_SUBJECT,
  eventSubject,
} from '@fedops/contracts';

import { generateNatsCredentials, renderHarnessNatsAuthConfig } from './nats-credentials';
import {
  EVENT_PUBLISHERS,
  NATS_ADMIN_USER,
  NATS_SERVICE_USERS,
  RPC_SUBJECTS,
  natsPasswordVariable,
  natsUsers,
  renderComposeNatsAuthConfig,
  renderNatsAuthConfig,
  servicePermissions,
  type NatsPermissions,
} from './nats.config';

/** NATS subject matching: `*` one token, `>` one or more trailing tokens. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** What the server decides for a publish: allowed by a pattern and denied by none. */
const mayPublish = (permissions: NatsPermissions, subject: string): boolean =>
  permissions.publish.allow.some((p) => matches(p, subject)) &&
  !permissions.publish.deny.some((p) => matches(p, subject));

const mayPublishAs = (user: (typeof NATS_SERVICE_USERS)[number], subject: string): boolean =>
  mayPublish(servicePermissions(user), subject);

const TENANT = '0b9a7c2e-6f1d-4d8a-9c1e-2f3a4b5c6d7e';

describe('NATS permissions of the services', () => {
  it('lets each kind of event be published by its one publisher only', () => {
    const problems: string[] = [];
    for (const kind of EVENT_KINDS) {
      for (const user of NATS_SERVICE_USERS) {
        const allowed = mayPublishAs(user, eventSubject(TENANT, kind));
        if (allowed !== (EVENT_PUBLISHERS[kind] === user))
          problems.push(`${user} ${allowed ? 'may' : 'may not'} publish ${kind}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lets every service read and create the events stream, and none change, empty or delete it', () => {
    for (const user of NATS_SERVICE_USERS) {
      expect(mayPublishAs(user, '$JS.API.INFO')).toBe(true);
      expect(mayPublishAs(user, '$JS.API.STREAM.INFO.FEDOPS_EVENTS')).toBe(true);
      expect(mayPublishAs(user, '$JS.API.STREAM.CREATE.FEDOPS_EVENTS')).toBe(true);
      for (const verb of ['DELETE', 'PURGE', 'UPDATE', 'MSG.DELETE'])
        expect(mayPublishAs(user, `$JS.API.STREAM.${verb}.FEDOPS_EVENTS`)).toBe(false);
      expect(mayPublishAs(user, '$JS.API.STREAM.CREATE.OTHER')).toBe(false);
      expect(mayPublishAs(user, '$JS.API.STREAM.LIST')).toBe(false);
    }
  });

  it('lets only tenant-api consume the events stream', () => {
    const consumerApi = [
      `$JS.API.CONSUMER.CREATE.FEDOPS_EVENTS.abc.fedops.${TENANT}.>`,
      '$JS.API.CONSUMER.MSG.NEXT.FEDOPS_EVENTS.abc',
      '$JS.API.CONSUMER.INFO.FEDOPS_EVENTS.abc',
      '$JS.API.CONSUMER.DELETE.FEDOPS_EVENTS.abc',
    ];
    for (const user of NATS_SERVICE_USERS)
      for (const subject of consumerApi)
        expect([user, mayPublishAs(user, subject)]).toEqual([user, user === 'tenant-api']);
    expect(mayPublishAs('tenant-api', '$JS.API.CONSUMER.CREATE.OTHER.abc')).toBe(false);
    expect(mayPublishAs('tenant-api', '$JS.API.CONSUMER.DURABLE.CREATE.FEDOPS_EVENTS.abc')).toBe(false);
  });

  it('lets tenant-api ask the provisioner (machines, providers, placement), and only the provisioner answer, in its queue group', () => {
    const subjects = [
      FLEET_MACHINES_LIST_SUBJECT,
      PROVIDERS_REGISTER_SUBJECT,
      PLACEMENT_CHOOSE_SUBJECT,
      MACHINES_CLEANUP_SUBJECT,
    ];
    for (const user of NATS_SERVICE_USERS) {
      const p = servicePermissions(user);
      for (const subject of subjects) {
        expect([user, subject, mayPublish(p, subject)]).toEqual([user, subject, user === 'tenant-api']);
      }
      expect([user, p.allowResponses]).toEqual([
        user,
        user === 'provisioner' || user === 'deployer' || user === 'backup',
      ]);
      const rpc = p.subscribe.allow.filter((s) => s.startsWith('rpc.fedops.provisioner.'));
      expect([user, rpc]).toEqual([
        user,
        user === 'provisioner'
          ? RPC_SUBJECTS.filter((r) => r.server === 'provisioner').map((r) => `${r.subject} provisioner`)
          : [],
      ]);
    }
    expect(RPC_SUBJECTS.map((r) => r.subject)).toEqual(expect.arrayContaining(subjects));
  });

  it("lets tenant-api ask for an app's admin password, and only the deployer answer, in its queue group", () => {
    for (const user of NATS_SERVICE_USERS) {
      const p = servicePermissions(user);
      expect([user, mayPublish(p, ADMIN_PASSWORD_REVEAL_SUBJECT)]).toEqual([user, user === 'tenant-api']);
      expect([user, p.subscribe.allow.filter((s) => s.startsWith(ADMIN_PASSWORD_REVEAL_SUBJECT))]).toEqual([
        user,
        user === 'deployer' ? [`${ADMIN_PASSWORD_REVEAL_SUBJECT} deployer`] : [],
      ]);
    }
  });

  it("lets tenant-api ask for a tenant's snapshots, and only the backup service answer, in its queue group", () => {
    for (const user of NATS_SERVICE_USERS) {
      const p = servicePermissions(user);
      for (const subject of [BACKUP_SNAPSHOTS_LIST_SUBJECT, BACKUP_SNAPSHOTS_GET_SUBJECT]) {
        expect([user, subject, mayPublish(p, subject)]).toEqual([user, subject, user === 'tenant-api']);
        expect([user, p.subscribe.allow.filter((s) => s.startsWith(subject))]).toEqual([
          user,
          user === 'backup' ? [`${subject} backup`] : [],
        ]);
      }
    }
  });

  it('lets each service subscribe only to its own inbox (besides its requests)', () => {
    for (const user of NATS_SERVICE_USERS) {
      const inboxes = servicePermissions(user).subscribe.allow.filter((s) => !s.startsWith('rpc.'));
      expect(inboxes).toEqual([`_INBOX.${user}.>`]);
    }
  });
});

describe('renderNatsAuthConfig', () => {
  it('renders the compose config with every password from its own environment variable', () => {
    const text = renderComposeNatsAuthConfig();
    expect(text).toMatch(/^(# .*\n)+authorization \{\n {2}users: \[\n/);
    for (const user of [NATS_ADMIN_USER, ...NATS_SERVICE_USERS])
      expect(text).toContain(`      user: "${user}"\n      password: $${natsPasswordVariable(user)}\n`);
    expect(natsPasswordVariable('tenant-api')).toBe('FEDOPS_NATS_PASSWORD_TENANT_API');
    expect(text).not.toContain('no_auth_user');
    // The provisioner, the deployer and the backup service answer requests.
    expect(text.match(/allow_responses: true/g)).toHaveLength(3);
  });

  it('renders literal passwords quoted for the harness, the admin without permissions', () => {
    const credentials = generateNatsCredentials();
    const text = renderHarnessNatsAuthConfig(credentials);
    const admin = text.slice(text.indexOf(`user: "${NATS_ADMIN_USER}"`), text.indexOf('user: "tenant-api"'));
    expect(admin).toContain(`password: "${credentials.admin.password}"`);
    expect(admin).not.toContain('permissions');
    for (const { password } of Object.values(credentials.services)) expect(text).toContain(`"${password}"`);
    expect(
      new Set([credentials.admin, ...Object.values(credentials.services)].map((c) => c.password)).size,
    ).toBe(6);
  });

  it('refuses what it cannot write safely, without showing a password', () => {
    const users = (password: string): ReturnType<typeof natsUsers> => natsUsers(() => ({ value: password }));
    expect(() => renderNatsAuthConfig(users('short'))).toThrow(/must be at least 16 letters/);
    expect(() => renderNatsAuthConfig(users('a"b; no_auth_user: x-------'))).toThrow(
      /^The NATS password of admin must be/,
    );
    expect(() => renderNatsAuthConfig(natsUsers(() => ({ env: 'lower-case' })))).toThrow(
      /environment variable/,
    );
    const one = { user: 'svc', password: { value: 'a'.repeat(16) } };
    expect(() => renderNatsAuthConfig([one, one])).toThrow(/listed twice/);
    expect(() => renderNatsAuthConfig([{ ...one, user: 'Svc"' }])).toThrow(/Invalid NATS user name/);
    const permissions: NatsPermissions = {
      publish: { allow: ['a b c'], deny: [] },
      subscribe: { allow: [] },
      allowResponses: false,
    };
    expect(() => renderNatsAuthConfig([{ ...one, permissions }])).toThrow(/Invalid NATS subject/);
  });
});
