import { PROTECTED_SNAPSHOT_REASONS, type RetentionPolicy } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import type { ForgetResult, ResticCli } from '../restic/restic-cli';

/**
 * Forgets the app's snapshots that the retention policy does not keep: restic's keep rules over the
 * app's snapshots as one group (`--group-by host` with the app's tag: the data paths, which differ
 * between machines, do not split it), every snapshot of a protected reason kept by its tag. A
 * repository no backup has initialised yet has nothing to forget. `prune` frees the space after.
 */
export async function forgetOutsidePolicy(
  restic: ResticCli,
  repository: { location: string; password: string },
  tenantId: string,
  app: string,
  retention: RetentionPolicy,
): Promise<ForgetResult> {
  try {
    return await restic.forget(
      repository.location,
      repository.password,
      { ...retention, keepTags: PROTECTED_SNAPSHOT_REASONS.map((reason) => `reason=${reason}`) },
      { host: tenantId, tags: [`app=${app}`] },
      { groupBy: 'host' },
    );
  } catch (err) {
    if (err instanceof FedopsError && err.code === FedopsErrorCode.NotFound) return { kept: [], removed: [] };
    throw err;
  }
}
