import { randomBytes } from 'node:crypto';
import type { AppSelection } from '@fedops/contracts';
import { waitFor } from '@fedops/testing';
import type { BenchApiClient, OperationView, TenantView } from './api-client';
import { spanMs } from './stats';

export const DEPLOY_STEP_NAMES = ['provision', 'dns', 'deploy', 'backup'] as const;

/** What `deployRound` deploys unless told otherwise. */
export const DEFAULT_APPS: readonly AppSelection[] = [{ app: 'mastodon', options: { singleUserMode: true } }];

export interface TenantOutcome {
  id?: string;
  domain: string;
  /** ready: became ready; failed: the platform reported failure; error: the benchmark could not tell. */
  outcome: 'ready' | 'failed' | 'error';
  /** From the POST being sent to `ready` being observed (ms). */
  timeToReadyMs?: number;
  /** Duration of each deployTenant step (ms), from GET /v1/operations/{id}. */
  stepsMs: Partial<Record<string, number>>;
  /** Wall-clock instants, for the JSON report. */
  postSentAt: string;
  readyObservedAt?: string;
  operation?: OperationView;
  error?: string;
}

export interface RoundOptions {
  pollIntervalMs: number;
  /** Stops the round (global deadline or Ctrl-C). */
  signal: AbortSignal;
  /** Each created tenant id is reported at once, so cleanup knows it even if the round is aborted. */
  onCreated(id: string): void;
  /** The apps of every tenant; `DEFAULT_APPS` (Mastodon) when left out. */
  apps?: readonly AppSelection[];
}

/** Creates `count` tenants (Mastodon, unless `options.apps` says otherwise) at once and follows each to ready or failed. */
export async function deployRound(
  api: BenchApiClient,
  count: number,
  options: RoundOptions,
): Promise<TenantOutcome[]> {
  const runId = randomBytes(3).toString('hex');
  return Promise.all(
    Array.from({ length: count }, (_, i) => deployOne(api, `bench-${runId}-${i}.example`, options)),
  );
}

async function deployOne(api: BenchApiClient, domain: string, options: RoundOptions): Promise<TenantOutcome> {
  const postSentAt = new Date();
  const started = performance.now();
  const base = { domain, postSentAt: postSentAt.toISOString(), stepsMs: {} };
  let created: TenantView;
  try {
    const res = await api.createTenant({
      domain,
      apps: options.apps ?? DEFAULT_APPS,
    });
    if (res.status !== 202)
      return {
        ...base,
        outcome: 'error',
        error: `POST /v1/tenants answered ${res.status}: ${JSON.stringify(res.body)}`,
      };
    created = res.body;
    options.onCreated(created.id);
  } catch (err) {
    return { ...base, outcome: 'error', error: describe(err) };
  }
  let final: TenantView;
  try {
    final = await waitFor(
      async () => {
        const res = await api.getTenant(created.id);
        if (res.status !== 200) throw new Error(`GET /v1/tenants/${created.id} answered ${res.status}`);
        return res.body.status === 'ready' || res.body.status === 'failed' ? res.body : undefined;
      },
      {
        description: `tenant ${created.id} to be ready`,
        timeoutMs: 24 * 3600_000, // bounded by the signal (the global deadline)
        intervalMs: options.pollIntervalMs,
        signal: options.signal,
      },
    );
  } catch (err) {
    return { ...base, id: created.id, outcome: 'error', error: describe(err) };
  }
  const timeToReadyMs = performance.now() - started;
  const readyObservedAt = new Date().toISOString();
  const operation = await fetchOperation(api, created.operation.id);
  const stepsMs: Partial<Record<string, number>> = {};
  for (const step of operation?.steps ?? []) {
    const ms = spanMs(step.startedAt, step.finishedAt);
    if (ms !== undefined) stepsMs[step.name] = ms;
  }
  if (final.status === 'failed') {
    return {
      ...base,
      id: created.id,
      outcome: 'failed',
      stepsMs,
      ...(operation ? { operation } : {}),
      error: final.error ?? '(no error given)',
    };
  }
  return {
    ...base,
    id: created.id,
    outcome: 'ready',
    timeToReadyMs,
    readyObservedAt,
    stepsMs,
    ...(operation ? { operation } : {}),
  };
}

async function fetchOperation(api: BenchApiClient, id: string): Promise<OperationView | undefined> {
  try {
    const res = await api.getOperation(id);
    return res.status === 200 ? res.body : undefined;
  } catch {
    return undefined; // the breakdown is optional; time-to-ready stands without it
  }
}

export interface DeletionOutcome {
  id: string;
  deleted: boolean;
  error?: string;
}

/** Deletes the tenants at once and waits until each is `deleted`. */
export async function deleteTenants(
  api: BenchApiClient,
  ids: readonly string[],
  options: { signal: AbortSignal; timeoutMs: number },
): Promise<DeletionOutcome[]> {
  return Promise.all(
    ids.map(async (id): Promise<DeletionOutcome> => {
      try {
        const res = await api.deleteTenant(id);
        if (res.status !== 202 && res.status !== 200)
          throw new Error(`DELETE answered ${res.status}: ${JSON.stringify(res.body)}`);
        await waitFor(
          async () => {
            const got = await api.getTenant(id);
            if (got.status === 404) return true;
            if (got.status !== 200) throw new Error(`GET answered ${got.status}`);
            return got.body.status === 'deleted';
          },
          {
            description: `tenant ${id} to be deleted`,
            timeoutMs: options.timeoutMs,
            intervalMs: 250,
            signal: options.signal,
          },
        );
        return { id, deleted: true };
      } catch (err) {
        return { id, deleted: false, error: describe(err) };
      }
    }),
  );
}

export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause === undefined ? err.message : `${err.message} (${describe(err.cause)})`;
}
