import { rm } from 'node:fs/promises';

import { GLOBAL_HANDLE_KEY, type GlobalInfraHandle } from './global-setup';

/** Stops what global-setup started and removes its temp dir. */
export default async function globalTeardown(): Promise<void> {
  const slot = globalThis as Record<string, unknown>;
  const handle = slot[GLOBAL_HANDLE_KEY] as GlobalInfraHandle | undefined;
  if (!handle) return;
  delete slot[GLOBAL_HANDLE_KEY];
  try {
    await handle.infra.stop();
  } finally {
    await rm(handle.dataDir, { recursive: true, force: true });
  }
}
