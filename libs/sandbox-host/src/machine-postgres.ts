import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * How a sandbox machine's PostgreSQL is reached from a shell on the machine. The deployer's stand-in
 * (services/deployer/src/activation/sandbox-standin/app-servers/postgres.js, plain JavaScript shipped
 * to the machine) makes it; a spec there checks that both agree.
 */
export const SANDBOX_POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';
export const SANDBOX_POSTGRES_PORT = 5432;
/** The cluster's superuser; `trust` on its socket, whose folder only root and postgres can enter. */
export const SANDBOX_POSTGRES_SUPERUSER = 'postgres';
const SOCKET_LINKS = '/run/fedops-standin-sockets';

/** The short path naming a machine's socket folder (a Unix socket path must fit in 107 bytes). */
export function sandboxPostgresSocketDir(fsRoot: string, socketLinks = SOCKET_LINKS): string {
  return join(socketLinks, createHash('sha256').update(fsRoot).digest('hex').slice(0, 16));
}
