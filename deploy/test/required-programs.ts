/** A program fedops runs as a child process, the Debian package that provides it, and who runs it. */
export interface RequiredProgram {
  readonly program: string;
  /** Undefined: not a Debian package (Node itself, a Go binary). */
  readonly pkg: string | undefined;
  readonly usedBy: string;
}

/**
 * Programs the services run (child_process), on every deployment path (the Docker image and the
 * native `npm start`). Sources: libs/service-kit/src/ssh, services/deployer/src/nixos/nix-validator.ts,
 * services/backup/src/restic/restic-cli.ts, libs/sandbox-host/src (netns, sshd, file-lock), and
 * the activation stand-in that sandbox machines run with /usr/bin/node.
 */
export const SERVICE_PROGRAMS: readonly RequiredProgram[] = [
  { program: 'ssh', pkg: 'openssh-client', usedBy: 'deployer (ships and activates configurations)' },
  { program: 'nix-instantiate', pkg: 'nix-bin', usedBy: 'deployer (nix-instantiate --parse)' },
  { program: 'tar', pkg: 'tar', usedBy: 'deployer (uploads over ssh)' },
  { program: 'restic', pkg: 'restic', usedBy: 'backup (listings and ids, from the control plane)' },
  { program: 'ssh', pkg: 'openssh-client', usedBy: 'backup (restic runs on the machines)' },
  { program: 'ip', pkg: 'iproute2', usedBy: 'provisioner sandbox driver (network namespaces)' },
  { program: 'sshd', pkg: 'openssh-server', usedBy: 'provisioner sandbox driver (machine sshd)' },
  { program: 'ssh-keygen', pkg: 'openssh-client', usedBy: 'provisioner sandbox driver (host keys)' },
  { program: 'flock', pkg: 'util-linux', usedBy: 'provisioner sandbox driver (state lock)' },
  { program: '/usr/bin/node', pkg: undefined, usedBy: 'sandbox activation stand-in (node path it runs)' },
];

/**
 * What the native path (`npm start`, `npm test`: libs/testing's harness and tools/platform) runs
 * besides the services' programs. Sources: libs/testing/src/infra/{postgres,nats,powerdns,
 * temporal,managed-process}.ts, scripts/*.sh.
 */
export const HOST_PROGRAMS: readonly RequiredProgram[] = [
  { program: '/usr/lib/postgresql/15/bin/postgres', pkg: 'postgresql-15', usedBy: 'harness (PostgreSQL)' },
  { program: '/usr/lib/postgresql/15/bin/initdb', pkg: 'postgresql-15', usedBy: 'harness (PostgreSQL)' },
  { program: 'nats-server', pkg: 'nats-server', usedBy: 'harness (NATS JetStream)' },
  { program: 'pdns_server', pkg: 'pdns-server', usedBy: 'harness (PowerDNS)' },
  {
    program: '/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql',
    pkg: 'pdns-backend-sqlite3',
    usedBy: 'harness (PowerDNS sqlite3 backend and its schema)',
  },
  { program: 'sqlite3', pkg: 'sqlite3', usedBy: 'harness (creates the PowerDNS database)' },
  { program: 'setpriv', pkg: 'util-linux', usedBy: 'harness (parent-death signal, user switch)' },
  { program: 'runuser', pkg: 'util-linux', usedBy: 'harness (initdb as postgres)' },
  {
    // From postgresql-client-15, which postgresql-15 depends on.
    program: '/usr/lib/postgresql/15/bin/psql',
    pkg: 'postgresql-15',
    usedBy: 'deploy/test/postgres-initdb.int-spec.ts (runs the compose init script)',
  },
  { program: 'jq', pkg: 'jq', usedBy: 'the token commands npm start prints' },
  { program: 'temporal', pkg: undefined, usedBy: 'harness (Temporal dev server, built with go install)' },
  {
    program: 'versitygw',
    pkg: undefined,
    usedBy: 'harness (S3 server of the backups, built with go install)',
  },
];
