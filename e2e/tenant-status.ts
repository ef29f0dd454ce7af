import { waitFor } from '@fedops/testing';
import type { ApiClient } from './api-client';

/**
 * The tenant once GET answers it with `status`; a tenant that fails meanwhile (when `failed` is not
 * what is awaited) ends the wait at once with its error.
 */
export async function waitForTenantStatus<T extends { status: string; error?: string }>(
  api: ApiClient,
  id: string,
  status: string,
  timeoutMs = 300_000,
): Promise<T> {
  return waitFor(
    async () => {
      const res = await api.get<T>(`/v1/tenants/${id}`);
      if (res.body.status === 'failed' && status !== 'failed')
        throw new Error(`tenant failed: ${res.body.error ?? '(no error)'}`);
      return res.body.status === status ? res.body : undefined;
    },
    { description: `tenant ${id} to be ${status}`, timeoutMs, intervalMs: 250 },
  );
}
