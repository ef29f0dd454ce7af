import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDatabasePasswords } from './platform-keys';

describe('ensureDatabasePasswords', () => {
  let dir: string;

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'fedops-keys-')), 'database');
  });

  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('generates one password per role once, in files only the owner can read', async () => {
    const first = await ensureDatabasePasswords(dir, ['fedops_dns', 'fedops_backup']);
    expect(Object.keys(first)).toEqual(['fedops_dns', 'fedops_backup']);
    expect(first['fedops_dns']).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first['fedops_dns']).not.toBe(first['fedops_backup']);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'fedops_dns.password'))).mode & 0o777).toBe(0o600);
    expect(await ensureDatabasePasswords(dir, ['fedops_dns', 'fedops_backup'])).toEqual(first);
  });

  it('takes a rotated password from its file and gives the file its mode back', async () => {
    await ensureDatabasePasswords(dir, ['fedops_dns']);
    const file = join(dir, 'fedops_dns.password');
    await writeFile(file, 'rotated-by-hand\n', { mode: 0o644 });
    expect(await ensureDatabasePasswords(dir, ['fedops_dns'])).toEqual({ fedops_dns: 'rotated-by-hand' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe('rotated-by-hand\n');
  });

  it('refuses an emptied file and a role name that is not one', async () => {
    await ensureDatabasePasswords(dir, ['fedops_dns']);
    await writeFile(join(dir, 'fedops_dns.password'), '\n');
    await expect(ensureDatabasePasswords(dir, ['fedops_dns'])).rejects.toThrow(
      /fedops_dns\.password is empty/,
    );
    await expect(ensureDatabasePasswords(dir, ['../x'])).rejects.toThrow(/Invalid role name/);
  });
});
