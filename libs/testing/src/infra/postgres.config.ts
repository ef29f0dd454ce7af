/** Pure argument building for the native PostgreSQL 15 server. */

export const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';

export interface PostgresLayout {
  /** PGDATA, owned by `postgres`, mode 0700. */
  readonly pgData: string;
  /** Unix socket directory (`-k`). */
  readonly socketDir: string;
}

export function initdbArgs(layout: PostgresLayout, ephemeral: boolean): string[] {
  return [
    '-D',
    layout.pgData,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    ...(ephemeral ? ['--no-sync'] : []),
  ];
}

export function postgresServerArgs(layout: PostgresLayout, port: number, ephemeral: boolean): string[] {
  const settings: Array<[string, string]> = [
    ['listen_addresses', '127.0.0.1'],
    // Local connections are trusted, so only the postgres user (and root) may reach the socket.
    ['unix_socket_permissions', '0700'],
    ['max_connections', '200'],
    ...(ephemeral
      ? ([
          ['fsync', 'off'],
          ['synchronous_commit', 'off'],
          ['full_page_writes', 'off'],
        ] as Array<[string, string]>)
      : []),
  ];
  return [
    '-D',
    layout.pgData,
    '-p',
    String(port),
    '-k',
    layout.socketDir,
    ...settings.flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  ];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Role and database names are interpolated as identifiers: keep them boring. */
export function assertIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`Invalid ${what} name ${JSON.stringify(name)}: use [a-z_][a-z0-9_]*, at most 63 chars`);
  }
  return name;
}

export function postgresUrl(endpoint: {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}): string {
  const user = encodeURIComponent(endpoint.user);
  const password = encodeURIComponent(endpoint.password);
  return `postgres://${user}:${password}@${endpoint.host}:${endpoint.port}/${encodeURIComponent(endpoint.database)}`;
}
