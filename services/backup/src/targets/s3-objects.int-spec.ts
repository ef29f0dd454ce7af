import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { FedopsErrorCode } from '@fedops/domain';
import { testInfra } from '@fedops/testing';
import { S3Objects } from './s3-objects';
import { S3Repositories, type S3Target } from './s3-target';

const run = promisify(execFile);

/** S3Objects against the real S3 server of the test infrastructure (versitygw). */
describe('S3Objects on versitygw', () => {
  const target = (): S3Target => ({ ...testInfra().s3, reach: 'direct' });

  /** A repository made by restic under a fresh prefix, as a first backup makes it. */
  async function repositoryUnder(prefix: string): Promise<void> {
    const repositories = new S3Repositories(target());
    await run('restic', ['init', '--quiet'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? '/tmp',
        RESTIC_REPOSITORY: repositories.locationFor(prefix),
        RESTIC_PASSWORD: 'not-a-secret-here',
        ...repositories.backendEnv(),
      },
    });
  }

  it("lists a repository's objects under its prefix, and only those", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await repositoryUnder(a);
    await repositoryUnder(b);
    const objects = await new S3Objects(target()).list(`${a}/`);
    expect(objects.map((o) => o.key)).toContain(`${a}/config`);
    expect(objects.every((o) => o.key.startsWith(`${a}/`))).toBe(true);
    expect(objects.some((o) => o.key.startsWith(b))).toBe(false);
    for (const o of objects) expect(Date.now() - o.lastModified.getTime()).toBeLessThan(120_000);
    expect(await new S3Objects(target()).list(`${randomUUID()}/`)).toEqual([]);
  });

  it('deletes every object under a prefix, and again nothing', async () => {
    const prefix = randomUUID();
    const other = randomUUID();
    await repositoryUnder(prefix);
    await repositoryUnder(other);
    const objects = new S3Objects(target());
    const before = (await objects.list(`${prefix}/`)).length;
    expect(before).toBeGreaterThan(1);
    expect(await objects.deleteAll(`${prefix}/`)).toBe(before);
    expect(await objects.list(`${prefix}/`)).toEqual([]);
    expect(await objects.deleteAll(`${prefix}/`)).toBe(0);
    expect((await objects.list(`${other}/`)).length).toBeGreaterThan(1);
  });

  it('names refused keys as forbidden, and never says the secret', async () => {
    const wrong = new S3Objects({ ...target(), secretAccessKey: 'wrong-secret-value' });
    const error = await wrong.list('anything/').then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(error).toMatchObject({ code: FedopsErrorCode.Forbidden });
    expect(error?.message).toContain('SignatureDoesNotMatch');
    expect(error?.message).not.toContain('wrong-secret-value');
  });
});
