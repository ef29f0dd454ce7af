/**
 * Pure argument and config building for nats-server with JetStream, and the one definition of who
 * may do what on NATS: one user per fedops service with least-privilege publish and subscribe
 * permissions, and an admin user for the harness and the tests. The harness renders it with the
 * generated passwords (`<dataDir>/auth.conf`); docker-compose uses the same rendering with
 * passwords from environment variables (COMPOSE_NATS_CONFIG_FILE, written by
 * `npm run nats-config`; deploy/test/compose.spec.ts fails when it is stale).
 */
import {
  ADMIN_PASSWORD_REVEAL_SUBJECT,
  BACKUP_SNAPSHOTS_GET_SUBJECT,
  BACKUP_SNAPSHOTS_LIST_SUBJECT,
  AUDIT_LOG_CONSUMER,
  CONFIGURATION_PREVIEW_SUBJECT,
  EVENTS_STREAM,
  EVENTS_SUBJECT_ROOT,
  FLEET_MACHINES_LIST_SUBJECT,
  MACHINES_CLEANUP_SUBJECT,
  MACHINES_RECONCILIATION_SUBJECT,
  PLACEMENT_CHOOSE_SUBJECT,
  PROVIDERS_GET_SUBJECT,
  PROVIDERS_LIST_SUBJECT,
  PROVIDERS_REGISTER_SUBJECT,
  PROVIDERS_REMOVE_SUBJECT,
  PROVIDERS_TEST_SUBJECT,
  type EventKind,
} from '@fedops/contracts';

export function natsServerArgs(options: {
  port: number;
  monitorPort: number;
  storeDir: string;
  /** The users and permissions (renderNatsAuthConfig); the flags below add to it. */
  configFile: string;
}): string[] {
  return [
    '-c',
    options.configFile,
    '-js',
    '-a',
    '127.0.0.1',
    '-p',
    String(options.port),
    '-sd',
    options.storeDir,
    '-m',
    String(options.monitorPort),
    '-n',
    'fedops-nats',
  ];
}

/** The NATS users of the services: a service connects as the user named like it. */
export const NATS_SERVICE_USERS = ['tenant-api', 'provisioner', 'deployer', 'dns', 'backup'] as const;
export type NatsServiceUser = (typeof NATS_SERVICE_USERS)[number];

/** All permissions: the harness (readiness, stream set-up in tests) and operators. */
export const NATS_ADMIN_USER = 'admin';

/**
 * The one service that publishes each kind of event. A kind added to the contracts without an
 * entry here fails the type check; its events would otherwise be refused by the server.
 */
export const EVENT_PUBLISHERS: Readonly<Record<EventKind, NatsServiceUser>> = {
  'tenant.status.changed': 'tenant-api',
  'tenant.drift.detected': 'tenant-api',
  'tenant.backup.failed': 'tenant-api',
  'operation.progress': 'tenant-api',
  'operation.finished': 'tenant-api',
  'change.requested': 'tenant-api',
  'machine.created': 'provisioner',
  'machine.destroyed': 'provisioner',
  'machine.orphaned': 'provisioner',
  'machine.missing': 'provisioner',
  'dns.records.applied': 'dns',
  'dns.records.removed': 'dns',
  'deployment.activated': 'deployer',
  'deployment.removed': 'deployer',
  'backup.repository.initialised': 'backup',
  'backup.repository.deleted': 'backup',
  'backup.repository.purged': 'backup',
  'backup.snapshot.taken': 'backup',
  'backup.progress': 'backup',
  'backup.restored': 'backup',
};

/** Core NATS request/reply: the service that answers (in its queue group) and who may ask. */
export const RPC_SUBJECTS: ReadonlyArray<{
  readonly subject: string;
  readonly server: NatsServiceUser;
  readonly clients: readonly NatsServiceUser[];
}> = [
  ...[
    FLEET_MACHINES_LIST_SUBJECT,
    PROVIDERS_REGISTER_SUBJECT,
    PROVIDERS_LIST_SUBJECT,
    PROVIDERS_GET_SUBJECT,
    PROVIDERS_TEST_SUBJECT,
    PROVIDERS_REMOVE_SUBJECT,
    PLACEMENT_CHOOSE_SUBJECT,
    MACHINES_CLEANUP_SUBJECT,
    MACHINES_RECONCILIATION_SUBJECT,
  ].map((subject) => ({ subject, server: 'provisioner' as const, clients: ['tenant-api' as const] })),
  // The first admin's password, revealed once: only tenant-api asks, only the deployer answers.
  { subject: ADMIN_PASSWORD_REVEAL_SUBJECT, server: 'deployer', clients: ['tenant-api'] },
  // A dry run of a change to a tenant's apps: the deployer renders both configurations and diffs them.
  { subject: CONFIGURATION_PREVIEW_SUBJECT, server: 'deployer', clients: ['tenant-api'] },
  // A tenant's snapshots, as the backup service records them (and reads them again from the repository).
  ...[BACKUP_SNAPSHOTS_LIST_SUBJECT, BACKUP_SNAPSHOTS_GET_SUBJECT].map((subject) => ({
    subject,
    server: 'backup' as const,
    clients: ['tenant-api' as const],
  })),
];

/**
 * Where a user's replies arrive (JetStream acks, API answers, request/reply): its connections use
 * this inbox prefix (service-kit's natsConnectionOptions), and only it may subscribe there, so no
 * service reads another's replies.
 */
export const natsInboxPrefix = (user: string): string => `_INBOX.${user}`;

export interface NatsPermissions {
  readonly publish: { readonly allow: readonly string[]; readonly deny: readonly string[] };
  /** A queue subscription is `"<subject> <queue group>"`: only that group may subscribe. */
  readonly subscribe: { readonly allow: readonly string[] };
  /** May answer the requests it received (publish to their reply subjects, once each). */
  readonly allowResponses: boolean;
}

const JS_API = '$JS.API';

/** Nobody but the admin changes or empties the events stream, whatever the allow lists grow to. */
const STREAM_CHANGES_DENIED = ['DELETE', 'PURGE', 'UPDATE', 'MSG.DELETE'].map(
  (verb) => `${JS_API}.STREAM.${verb}.>`,
);

/** Pure: the permissions of a service's user. */
export function servicePermissions(user: NatsServiceUser): NatsPermissions {
  const events = Object.entries(EVENT_PUBLISHERS)
    .filter(([, publisher]) => publisher === user)
    .map(([kind]) => `${EVENTS_SUBJECT_ROOT}.*.${kind}`);
  const rpcClient = RPC_SUBJECTS.filter((rpc) => rpc.clients.includes(user)).map((rpc) => rpc.subject);
  const rpcServer = RPC_SUBJECTS.filter((rpc) => rpc.server === user).map((rpc) => `${rpc.subject} ${user}`);
  const consumesEvents = user === 'tenant-api';
  return {
    publish: {
      allow: [
        // jetstreamManager() checks the API; ensureEventsStream reads the stream and creates it
        // when it is missing (every service does at start; it cannot change an existing one).
        `${JS_API}.INFO`,
        `${JS_API}.STREAM.INFO.${EVENTS_STREAM}`,
        `${JS_API}.STREAM.CREATE.${EVENTS_STREAM}`,
        ...events,
        ...(consumesEvents
          ? [
              // The SSE endpoint's ordered consumers: create (the subject carries the filter),
              // pull, and check and replace one after a reconnect or missed heartbeats.
              `${JS_API}.CONSUMER.CREATE.${EVENTS_STREAM}.>`,
              `${JS_API}.CONSUMER.MSG.NEXT.${EVENTS_STREAM}.*`,
              `${JS_API}.CONSUMER.INFO.${EVENTS_STREAM}.*`,
              `${JS_API}.CONSUMER.DELETE.${EVENTS_STREAM}.*`,
              // The audit log's durable consumer acknowledges what it has stored.
              `$JS.ACK.${EVENTS_STREAM}.${AUDIT_LOG_CONSUMER}.>`,
            ]
          : []),
        ...rpcClient,
      ],
      deny: STREAM_CHANGES_DENIED,
    },
    subscribe: { allow: [...rpcServer, `${natsInboxPrefix(user)}.>`] },
    allowResponses: rpcServer.length > 0,
  };
}

/** A literal password (the harness), or a `$VARIABLE` the server reads from its environment (compose). */
export type NatsPassword = { readonly value: string } | { readonly env: string };

export interface NatsUserEntry {
  readonly user: string;
  readonly password: NatsPassword;
  /** Absent: every permission (the admin). */
  readonly permissions?: NatsPermissions;
}

/** Pure: the admin and one user per service, with their permissions. */
export function natsUsers(password: (user: string) => NatsPassword): NatsUserEntry[] {
  return [
    { user: NATS_ADMIN_USER, password: password(NATS_ADMIN_USER) },
    ...NATS_SERVICE_USERS.map((user) => ({
      user,
      password: password(user),
      permissions: servicePermissions(user),
    })),
  ];
}

/**
 * The environment variable with a user's password in docker-compose, named like the database
 * passwords beside it: `tenant-api` -> FEDOPS_NATS_PASSWORD_TENANT_API.
 */
export function natsPasswordVariable(user: string): string {
  return `FEDOPS_NATS_PASSWORD_${user.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * Pure: the `authorization` block of a nats-server config. No `no_auth_user`: a client without
 * credentials is refused. Throws on a name, password or subject that would need quoting rules.
 */
export function renderNatsAuthConfig(
  users: readonly NatsUserEntry[],
  header: readonly string[] = [],
): string {
  const seen = new Set<string>();
  const lines = [...header.map((line) => `# ${line}`.trimEnd()), 'authorization {', '  users: ['];
  for (const entry of users) {
    if (!/^[a-z][a-z0-9-]*$/.test(entry.user))
      throw new Error(`Invalid NATS user name ${JSON.stringify(entry.user)}`);
    if (seen.has(entry.user)) throw new Error(`NATS user ${entry.user} is listed twice`);
    seen.add(entry.user);
    lines.push('    {', `      user: "${entry.user}"`, `      password: ${renderPassword(entry)}`);
    if (entry.permissions !== undefined) lines.push(...renderPermissions(entry.permissions));
    lines.push('    }');
  }
  lines.push('  ]', '}', '');
  return lines.join('\n');
}

function renderPassword({ user, password }: NatsUserEntry): string {
  if ('env' in password) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(password.env))
      throw new Error(`Invalid environment variable name for the password of ${user}`);
    // Unquoted: nats-server substitutes `$NAME` from its environment.
    return `$${password.env}`;
  }
  // Never the value itself in the error.
  if (!/^[A-Za-z0-9_-]{16,}$/.test(password.value))
    throw new Error(`The NATS password of ${user} must be at least 16 letters, digits, - or _`);
  return `"${password.value}"`;
}

function renderPermissions(permissions: NatsPermissions): string[] {
  const list = (name: string, subjects: readonly string[]): string[] => {
    if (subjects.length === 0) return [];
    for (const subject of subjects)
      if (!/^[!-~]+( [A-Za-z0-9_-]+)?$/.test(subject) || subject.includes('"'))
        throw new Error(`Invalid NATS subject ${JSON.stringify(subject)}`);
    return [`          ${name}: [`, ...subjects.map((s) => `            "${s}",`), '          ]'];
  };
  return [
    '      permissions: {',
    '        publish: {',
    ...list('allow', permissions.publish.allow),
    ...list('deny', permissions.publish.deny),
    '        }',
    '        subscribe: {',
    ...list('allow', permissions.subscribe.allow),
    '        }',
    ...(permissions.allowResponses ? ['        allow_responses: true'] : []),
    '      }',
  ];
}

/** The compose rendering, committed (mounted into the nats container by docker-compose.yml). */
export const COMPOSE_NATS_CONFIG_FILE = 'deploy/nats/fedops-auth.conf';
export const COMPOSE_NATS_CONFIG_COMMAND = 'npm run nats-config';

/** Header of the committed compose rendering. */
export const COMPOSE_NATS_CONFIG_HEADER = [
  'NATS users and permissions of the fedops services (one user per service, least privilege) and',
  'an admin user. Passwords come from the environment of the nats container (.env).',
  `Generated from libs/testing/src/infra/nats.config.ts by \`${COMPOSE_NATS_CONFIG_COMMAND}\`: do not edit.`,
];

/** Pure: the text of deploy/nats/fedops-auth.conf. */
export function renderComposeNatsAuthConfig(): string {
  return renderNatsAuthConfig(
    natsUsers((user) => ({ env: natsPasswordVariable(user) })),
    COMPOSE_NATS_CONFIG_HEADER,
  );
}
