import { access, copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@fedops/testing';
import { renderProfileSummary, summarizeProfile, type CpuProfile } from './cpu-profile-summary';

export interface ProfiledRound {
  name: string;
  /** Sends the round's load; resolves with the requests answered. */
  run(): Promise<{ ok: number }>;
}

export interface ProfileRoundsOptions {
  rounds: readonly ProfiledRound[];
  /** FEDOPS_BENCH_PROFILE_DIR of the profiled process (which runs cpu-profile-preload). */
  profileDir: string;
  /** Where each `.cpuprofile` is kept (to open in Chrome DevTools). */
  keepAs: (round: string) => string;
}

/**
 * Profiles the process during each round in turn (start, wait until it runs, load, stop, read what
 * it wrote) and returns the summaries as text. The preload numbers its profiles 1, 2, ...
 */
export async function profileRounds(options: ProfileRoundsOptions): Promise<string> {
  const out: string[] = [];
  const appears = async (name: string, what: string): Promise<void> => {
    const file = join(options.profileDir, name);
    await waitFor(
      () =>
        access(file).then(
          () => true,
          () => false,
        ),
      { description: what, timeoutMs: 60_000, intervalMs: 50 },
    );
  };
  let n = 0;
  for (const round of options.rounds) {
    n += 1;
    await writeFile(join(options.profileDir, 'profile.start'), '');
    await appears(`${n}.started`, `the CPU profiler to start for ${round.name}`);
    const { ok } = await round.run();
    await writeFile(join(options.profileDir, 'profile.stop'), '');
    await appears(`${n}.done`, `the CPU profile of ${round.name}`);
    const file = join(options.profileDir, `${n}.cpuprofile`);
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    const kept = options.keepAs(round.name);
    await copyFile(file, kept);
    out.push(
      renderProfileSummary(`${round.name} (${ok} requests; profile ${kept})`, summarizeProfile(profile), ok),
    );
  }
  return out.join('\n\n');
}
