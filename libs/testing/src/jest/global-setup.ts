import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startInfrastructure, type Infrastructure } from '../infra';
import { TEST_ENV, infraToEnv } from './test-env';

/** Shared with global-teardown (same process, separately loaded modules). */
export interface GlobalInfraHandle {
  readonly infra: Infrastructure;
  readonly dataDir: string;
}
export const GLOBAL_HANDLE_KEY = '__FEDOPS_TEST_INFRA__';

/**
 * Starts PostgreSQL, NATS, Temporal, PowerDNS and S3 once per jest run in a temp dir (ephemeral, free
 * ports; never touches /work/main/.fedops) and exports FEDOPS_TEST_* variables for test workers.
 * Runs for every project (about 1-2 s); skipped when FEDOPS_TEST_INFRA_SKIP=1 or when
 * FEDOPS_TEST_INFRA is already set (infrastructure provided from outside).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env[TEST_ENV.infra] || process.env['FEDOPS_TEST_INFRA_SKIP'] === '1') return;

  const started = Date.now();
  const dataDir = await mkdtemp(join(tmpdir(), 'fedops-test-'));
  await chmod(dataDir, 0o755); // the postgres user must traverse it
  try {
    const infra = await startInfrastructure({ dataDir, ephemeral: true });
    Object.assign(process.env, infraToEnv(infra.endpoints));
    const handle: GlobalInfraHandle = { infra, dataDir };
    (globalThis as Record<string, unknown>)[GLOBAL_HANDLE_KEY] = handle;
    process.stderr.write(
      `\n[fedops] test infrastructure (${infra.mode}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s under ${dataDir}\n`,
    );
  } catch (error: unknown) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
