import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RetentionPolicy } from '@fedops/contracts';
import { generateRepositoryPassword } from '../restic/repository-password';
import { ResticCli, type ResticSnapshot } from '../restic/restic-cli';
import { forgetOutsidePolicy } from './retention';

/**
 * Retention over 90 simulated days, with the real restic: snapshots are backed up with `--time` as
 * the schedule would have taken them, and what forgetOutsidePolicy keeps is compared with restic's
 * documented keep rules computed here on the snapshots' times (the oracle below).
 */

const TENANT = 'c0ffee00-0000-4000-8000-000000000090';
const DAY_MS = 24 * 3600_000;
const START = Date.parse('2026-09-01T12:00:00Z');

interface Planned {
  app: string;
  reason: string;
  at: number;
  /** Taken on another machine: other data paths. */
  elsewhere?: boolean;
}

let work: string;
let repo: string;
const password = generateRepositoryPassword();
const restic = new ResticCli();

const run = promisify(execFile);

/** A snapshot at the planned time (restic runs these side by side: a backup takes a shared lock). */
async function resticBackup(p: Planned): Promise<void> {
  const root = join(work, p.elsewhere === true ? 'machine-b' : 'machine-a');
  const data = join(root, 'var/lib', p.app);
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'state'), `${p.app} ${p.at}\n`);
  const time = new Date(p.at).toISOString().replace('T', ' ').slice(0, 19);
  await run(
    'restic',
    [
      'backup',
      '--quiet',
      '--host',
      TENANT,
      '--tag',
      `app=${p.app}`,
      '--tag',
      `reason=${p.reason}`,
      '--time',
      time,
      data,
    ],
    {
      env: {
        PATH: process.env['PATH'] ?? '',
        RESTIC_REPOSITORY: repo,
        RESTIC_PASSWORD: password,
        HOME: work,
      },
    },
  );
}

/** restic's keep rules (restic/internal/restic/snapshot_policy.go), newest first, over one group. */
function oracle(snapshots: ResticSnapshot[], policy: RetentionPolicy, keepTags: string[]): Set<string> {
  const sorted = [...snapshots].sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  const day = (t: Date): number => t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
  const month = (t: Date): number => t.getUTCFullYear() * 100 + t.getUTCMonth() + 1;
  const week = (t: Date): number => {
    // ISO 8601 week: the Thursday of the week decides the year.
    const d = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
    d.setUTCDate(d.getUTCDate() + 4 - (d.getUTCDay() || 7));
    const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
    return d.getUTCFullYear() * 100 + Math.ceil(((d.getTime() - yearStart) / DAY_MS + 1) / 7);
  };
  const buckets = [
    { count: policy.keepDaily ?? 0, of: day, last: -1 },
    { count: policy.keepWeekly ?? 0, of: week, last: -1 },
    { count: policy.keepMonthly ?? 0, of: month, last: -1 },
  ];
  const kept = new Set<string>();
  sorted.forEach((s, nr) => {
    let keep = s.tags.some((t) => keepTags.includes(t));
    if (policy.keepLast !== undefined && nr < policy.keepLast) keep = true;
    for (const b of buckets) {
      if (b.count <= 0) continue;
      const value = b.of(new Date(s.time));
      if (value !== b.last) {
        keep = true;
        b.last = value;
        b.count -= 1;
      }
    }
    if (keep) kept.add(s.id);
  });
  return kept;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fedops-retention-'));
  repo = join(work, 'repo');
  execFileSync('restic', ['init', '--quiet'], {
    env: { PATH: process.env['PATH'] ?? '', RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: password, HOME: work },
  });
  const plan: Planned[] = [];
  // Forgejo: a scheduled backup every day at noon for 90 days, and on the last five days an extra
  // one in the evening; two pre-restore snapshots long ago; the last week's from another machine.
  for (let d = 0; d < 90; d++) {
    plan.push({ app: 'forgejo', reason: 'scheduled', at: START + d * DAY_MS, elsewhere: d >= 83 });
    if (d >= 85) plan.push({ app: 'forgejo', reason: 'manual', at: START + d * DAY_MS + 7 * 3600_000 });
  }
  plan.push({ app: 'forgejo', reason: 'pre-restore', at: START + 3 * DAY_MS + 3600_000 });
  plan.push({ app: 'forgejo', reason: 'pre-upgrade', at: START + 40 * DAY_MS + 3600_000 });
  // Matrix: every sixth day; its own group.
  for (let d = 0; d < 90; d += 6) plan.push({ app: 'matrix', reason: 'scheduled', at: START + d * DAY_MS });
  for (let i = 0; i < plan.length; i += 4) await Promise.all(plan.slice(i, i + 4).map(resticBackup));
}, 240_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('retention over 90 days of snapshots', () => {
  it('keeps per app exactly what the keep rules keep, every protected snapshot, and nothing of the other app', async () => {
    const policy: RetentionPolicy = { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 };
    const before = await restic.snapshots(repo, password, { host: TENANT });
    const of = (app: string) => before.filter((s) => s.tags.includes(`app=${app}`));
    expect([of('forgejo').length, of('matrix').length]).toEqual([97, 15]);
    const protectedTags = ['reason=pre-restore', 'reason=pre-upgrade', 'reason=pre-removal'];
    const expected = {
      forgejo: oracle(of('forgejo'), policy, protectedTags),
      matrix: oracle(of('matrix'), policy, protectedTags),
    };

    const forgejo = await forgetOutsidePolicy(
      restic,
      { location: repo, password },
      TENANT,
      'forgejo',
      policy,
    );
    const matrix = await forgetOutsidePolicy(restic, { location: repo, password }, TENANT, 'matrix', policy);

    const after = await restic.snapshots(repo, password, { host: TENANT });
    const left = (app: string) =>
      new Set(after.filter((s) => s.tags.includes(`app=${app}`)).map((s) => s.id));
    expect(left('forgejo')).toEqual(expected.forgejo);
    expect(left('matrix')).toEqual(expected.matrix);
    expect(new Set(forgejo.kept)).toEqual(expected.forgejo);
    expect(forgejo.removed.length + matrix.removed.length).toBe(before.length - after.length);
    // Concretely: 7 daily + older weekly and monthly ones, and both protected snapshots.
    const keptForgejo = after.filter((s) => s.tags.includes('app=forgejo'));
    expect(
      keptForgejo.filter(
        (s) => s.tags.includes('reason=pre-restore') || s.tags.includes('reason=pre-upgrade'),
      ),
    ).toHaveLength(2);
    expect(keptForgejo.length).toBeGreaterThanOrEqual(7 + 2);
    expect(keptForgejo.length).toBeLessThan(7 + 4 + 3 + 2 + 1);
  }, 120_000);

  it('forgets nothing in a repository no backup initialised yet', async () => {
    const empty = join(work, 'never-initialised');
    await expect(
      forgetOutsidePolicy(restic, { location: empty, password }, TENANT, 'forgejo', { keepLast: 1 }),
    ).resolves.toEqual({ kept: [], removed: [] });
  });
});
