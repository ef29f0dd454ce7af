import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureNatsCredentials } from './nats-credentials';
import { NATS_SERVICE_USERS } from './nats.config';

describe('ensureNatsCredentials', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-nats-credentials-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generates a password per user once and keeps them in a file only the owner reads', async () => {
    const first = await ensureNatsCredentials(dir);
    expect(first.admin.user).toBe('admin');
    expect(Object.keys(first.services).sort()).toEqual([...NATS_SERVICE_USERS].sort());
    for (const [user, c] of Object.entries(first.services)) {
      expect(c.user).toBe(user);
      expect(c.password).toMatch(/^[0-9a-f]{48}$/);
    }
    const file = join(dir, 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await ensureNatsCredentials(dir)).toEqual(first);
  });

  it('adds a password for a user the file lacks and keeps the others, tightening a loose mode', async () => {
    const file = join(dir, 'credentials.json');
    await writeFile(file, JSON.stringify({ admin: 'kept-admin-password', dns: 'kept-dns-password' }), {
      mode: 0o644,
    });
    const credentials = await ensureNatsCredentials(dir);
    expect(credentials.admin.password).toBe('kept-admin-password');
    expect(credentials.services.dns.password).toBe('kept-dns-password');
    expect(credentials.services.backup.password).toMatch(/^[0-9a-f]{48}$/);
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(saved).sort()).toEqual(['admin', ...NATS_SERVICE_USERS].sort());
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that is not JSON without overwriting it', async () => {
    const file = join(dir, 'credentials.json');
    await writeFile(file, 'not json');
    await expect(ensureNatsCredentials(dir)).rejects.toThrow(/credentials\.json is not valid JSON/);
    expect(await readFile(file, 'utf8')).toBe('not json');
  });
});
