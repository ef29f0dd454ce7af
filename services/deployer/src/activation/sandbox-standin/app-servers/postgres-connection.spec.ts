import { SANDBOX_POSTGRES_PORT, sandboxPostgresSocketDir } from '@fedops/sandbox-host';

// postgres.js is plain JavaScript shipped to sandbox machines; the backup service reaches the
// machine's cluster through @fedops/sandbox-host's description of it.
const postgres = require('./postgres.js') as {
  postgresConnection(root: string): { host: string; port: number };
};

describe('the machine PostgreSQL as sandbox-host describes it', () => {
  it.each(['/var/lib/fedops/sandbox/hosts/a/root', '/tmp/x/hosts/fedops-abc/root'])(
    'names the same socket folder and port as the stand-in for root %s',
    (root) => {
      expect(postgres.postgresConnection(root)).toEqual({
        host: sandboxPostgresSocketDir(root),
        port: SANDBOX_POSTGRES_PORT,
      });
    },
  );
});
