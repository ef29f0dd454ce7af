import { findApp } from '@fedops/catalog';
import type { AppSelection } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode, type FieldError } from '@fedops/domain';

/** What an organisation's quotas limit: live tenants, their apps, and the resources those apps need. */
export const QUOTA_NAMES = ['tenants', 'apps', 'vcpu', 'memoryMiB', 'storageGiB'] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];

/** An organisation's limits; a limit that is absent is unlimited. */
export type Quotas = Partial<Record<QuotaName, number>>;

/** Amounts of every quota: in use by an organisation, or requested by a change. */
export type QuotaAmounts = Record<QuotaName, number>;

export const QUOTA_DESCRIPTIONS: Record<QuotaName, string> = {
  tenants: 'live tenants (every status but deleted)',
  apps: 'apps over all live tenants',
  vcpu: 'virtual CPUs the apps of live tenants need',
  memoryMiB: 'memory in MiB the apps of live tenants need',
  storageGiB: 'storage in GiB the apps of live tenants need',
};

/** Largest limit accepted (any real quota is far below). */
export const MAX_QUOTA = 1_000_000;

export interface ResourceNeeds {
  vcpu: number;
  memoryMiB: number;
  storageGiB: number;
}

/**
 * What one instance of an app needs: the catalog's declaration (disk as storage). An app the
 * catalog no longer has (a stored tenant from before its removal) counts with a modest default,
 * never zero.
 */
export const FALLBACK_APP_RESOURCES: ResourceNeeds = { vcpu: 1, memoryMiB: 1024, storageGiB: 10 };

export function appResources(app: string): ResourceNeeds {
  const declared = findApp(app)?.resources;
  return declared === undefined
    ? FALLBACK_APP_RESOURCES
    : { vcpu: declared.vcpu, memoryMiB: declared.memoryMiB, storageGiB: declared.diskGiB };
}

/** What tenants with these apps use, from how many tenants there are and how many of each app they run. */
export function amountsOf(
  tenants: number,
  appCounts: ReadonlyArray<{ app: string; count: number }>,
): QuotaAmounts {
  const amounts: QuotaAmounts = { tenants, apps: 0, vcpu: 0, memoryMiB: 0, storageGiB: 0 };
  for (const { app, count } of appCounts) {
    const needs = appResources(app);
    amounts.apps += count;
    amounts.vcpu += needs.vcpu * count;
    amounts.memoryMiB += needs.memoryMiB * count;
    amounts.storageGiB += needs.storageGiB * count;
  }
  return amounts;
}

/** What one new tenant with these apps asks for. */
export function newTenantAmounts(apps: ReadonlyArray<Pick<AppSelection, 'app'>>): QuotaAmounts {
  return amountsOf(
    1,
    apps.map((a) => ({ app: a.app, count: 1 })),
  );
}

/** What apps added to an existing tenant use (no tenant more). */
export function addedAppsAmounts(apps: ReadonlyArray<Pick<AppSelection, 'app'>>): QuotaAmounts {
  return amountsOf(
    0,
    apps.map((a) => ({ app: a.app, count: 1 })),
  );
}

/** One limit a change would pass. */
export interface QuotaExcess {
  quota: QuotaName;
  limit: number;
  used: number;
  requested: number;
  /** `used + requested - limit`. */
  exceededBy: number;
}

/** Every limit that `used + requested` would pass, in QUOTA_NAMES order. Reaching a limit exactly is allowed. */
export function quotaExcesses(quotas: Quotas, used: QuotaAmounts, requested: QuotaAmounts): QuotaExcess[] {
  return QUOTA_NAMES.flatMap((quota): QuotaExcess[] => {
    const limit = quotas[quota];
    if (limit === undefined || requested[quota] === 0) return [];
    const exceededBy = used[quota] + requested[quota] - limit;
    return exceededBy > 0
      ? [{ quota, limit, used: used[quota], requested: requested[quota], exceededBy }]
      : [];
  });
}

/**
 * The QUOTA_EXCEEDED problem: the detail names every limit passed; the extension members give the
 * first one (`quota`, `limit`, `used`, `requested`, `exceededBy`) and all of them (`exceeded`).
 */
export function quotaExceededError(orgId: string, excesses: readonly QuotaExcess[]): FedopsError {
  const [first] = excesses;
  if (first === undefined) throw new Error('quotaExceededError needs at least one excess');
  const what = excesses
    .map(
      (e) =>
        `${e.quota} quota exceeded by ${e.exceededBy} (limit ${e.limit}, in use ${e.used}, requested ${e.requested})`,
    )
    .join('; ');
  return new FedopsError(FedopsErrorCode.QuotaExceeded, `Organisation ${orgId}: ${what}`, {
    extensions: { org: orgId, ...first, exceeded: excesses.map((e) => ({ ...e })) },
  });
}

/**
 * Reads quota limits from a request body: each a non-negative integer, or `null` (unlimited, which
 * in a merge patch removes the limit). Unknown names are errors.
 */
export function parseQuotaLimits(
  value: unknown,
  field: string,
): { limits: Partial<Record<QuotaName, number | null>>; errors: FieldError[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { limits: {}, errors: [{ field, message: 'must be an object of limits by name' }] };
  }
  const errors: FieldError[] = [];
  const limits: Partial<Record<QuotaName, number | null>> = {};
  for (const [name, limit] of Object.entries(value as Record<string, unknown>)) {
    if (!(QUOTA_NAMES as readonly string[]).includes(name)) {
      errors.push({
        field: `${field}.${name}`,
        message: `is not a quota; quotas: ${QUOTA_NAMES.join(', ')}`,
      });
    } else if (
      limit !== null &&
      !(Number.isInteger(limit) && (limit as number) >= 0 && (limit as number) <= MAX_QUOTA)
    ) {
      errors.push({
        field: `${field}.${name}`,
        message: `must be an integer from 0 to ${MAX_QUOTA}, or null for no limit`,
      });
    } else {
      limits[name as QuotaName] = limit as number | null;
    }
  }
  return { limits, errors };
}

/** Applies limits as a JSON merge patch (RFC 7396): a number sets a limit, `null` removes it. */
export function mergeQuotas(current: Quotas, patch: Partial<Record<QuotaName, number | null>>): Quotas {
  const merged: Quotas = { ...current };
  for (const name of QUOTA_NAMES) {
    const limit = patch[name];
    if (limit === null) delete merged[name];
    else if (limit !== undefined) merged[name] = limit;
  }
  return merged;
}
