import type {
  PlacementPreference,
  ProviderPlan,
  ProviderQuotas,
  ResourceProviderKind,
} from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import type { ProviderCapacity } from '../drivers/resource-provider.driver';

/** One registered provider as placement sees it. */
export interface PlacementCandidate {
  id: string;
  name: string;
  kind: ResourceProviderKind;
  status: 'active' | 'draining';
  locations: string[];
  plans: ProviderPlan[];
  quotas: ProviderQuotas;
  usage: { machines: number; vcpus: number; memoryMiB: number };
  /** What the provider reported just now, or why it could not be asked. */
  capacity: ProviderCapacity | { error: string };
}

export interface PlacementChoice {
  providerId: string;
  providerName: string;
  kind: ResourceProviderKind;
  location: string;
  plan: ProviderPlan;
  reason: string;
}

/**
 * Picks provider and location for a machine of `planName` (pure; the caller gathers capacity).
 * Bad names get 400 listing what is valid; no room anywhere gets 409 saying, per provider, why.
 * Among those with room: the location with the most free memory where providers report it (Proxmox
 * nodes), else the provider with the most quota headroom; ties by name, so the choice is stable.
 */
export function choosePlacement(
  candidates: readonly PlacementCandidate[],
  planName: string,
  preference: PlacementPreference = {},
): PlacementChoice {
  const active = candidates.filter((c) => c.status === 'active');
  let pool = active;
  if (preference.provider !== undefined) {
    pool = active.filter((c) => c.name === preference.provider);
    if (pool.length === 0) {
      throw FedopsError.validation([
        {
          field: 'placement.provider',
          message: `is not an active provider; valid: ${names(active.map((c) => c.name))}`,
        },
      ]);
    }
  }
  const withPlan = pool.filter((c) => c.plans.some((p) => p.name === planName));
  if (withPlan.length === 0) {
    throw FedopsError.validation([
      {
        field: 'plan',
        message: `is not offered here; valid: ${names(pool.flatMap((c) => c.plans.map((p) => p.name)))}`,
      },
    ]);
  }
  if (preference.location !== undefined) {
    const known = withPlan.flatMap((c) => c.locations);
    if (!known.includes(preference.location)) {
      throw FedopsError.validation([
        {
          field: 'placement.location',
          message: `is not a location of these providers; valid: ${names(known)}`,
        },
      ]);
    }
  }

  const refusals: string[] = [];
  const fits: Array<{
    choice: Omit<PlacementChoice, 'reason'>;
    freeMemoryMiB: number | undefined;
    headroom: number;
  }> = [];
  for (const c of withPlan) {
    const plan = c.plans.find((p) => p.name === planName) as ProviderPlan;
    if ('error' in c.capacity) {
      refusals.push(`${c.name}: could not be asked for capacity (${c.capacity.error})`);
      continue;
    }
    const quota = quotaProblem(c, plan);
    if (quota !== undefined) {
      refusals.push(`${c.name}: ${quota}`);
      continue;
    }
    const reported = new Map(c.capacity.locations.map((l) => [l.name, l]));
    const wanted =
      preference.location === undefined ? c.locations : c.locations.filter((l) => l === preference.location);
    for (const location of wanted) {
      const room = reported.get(location);
      if (room === undefined || !room.available) {
        refusals.push(
          `${c.name}/${location}: ${room === undefined ? 'not reported by the provider' : 'unavailable'}`,
        );
        continue;
      }
      if (room.freeMemoryMiB !== undefined && room.freeMemoryMiB < plan.memoryMiB) {
        refusals.push(`${c.name}/${location}: ${room.freeMemoryMiB} MiB free, plan needs ${plan.memoryMiB}`);
        continue;
      }
      if (room.freeDiskGiB !== undefined && room.freeDiskGiB < plan.diskGiB) {
        refusals.push(`${c.name}/${location}: ${room.freeDiskGiB} GiB disk free, plan needs ${plan.diskGiB}`);
        continue;
      }
      fits.push({
        choice: { providerId: c.id, providerName: c.name, kind: c.kind, location, plan },
        freeMemoryMiB: room.freeMemoryMiB,
        headroom: headroom(c, plan),
      });
    }
  }
  if (fits.length === 0) {
    throw new FedopsError(
      FedopsErrorCode.Conflict,
      `No provider has room for a ${planName} machine: ${refusals.join('; ')}`,
      { extensions: { refusals } },
    );
  }
  fits.sort(
    (a, b) =>
      (b.freeMemoryMiB ?? -1) - (a.freeMemoryMiB ?? -1) ||
      b.headroom - a.headroom ||
      a.choice.providerName.localeCompare(b.choice.providerName) ||
      a.choice.location.localeCompare(b.choice.location),
  );
  const best = fits[0] as (typeof fits)[number];
  const { choice } = best;
  const why = [
    preference.provider !== undefined ? `provider ${choice.providerName} as asked` : undefined,
    preference.location !== undefined ? `location ${choice.location} as asked` : undefined,
    best.freeMemoryMiB !== undefined
      ? `${choice.location} has the most free memory (${best.freeMemoryMiB} MiB)`
      : undefined,
    `${fits.length} of ${fits.length + refusals.length} places fit plan ${planName}`,
    refusals.length > 0 ? `not chosen: ${refusals.join('; ')}` : undefined,
  ].filter((s): s is string => s !== undefined);
  return { ...choice, reason: why.join('; ') };
}

function quotaProblem(c: PlacementCandidate, plan: ProviderPlan): string | undefined {
  const { quotas, usage } = c;
  if (quotas.machines !== undefined && usage.machines + 1 > quotas.machines) {
    return `quota of ${quotas.machines} machines reached`;
  }
  if (quotas.vcpus !== undefined && usage.vcpus + plan.vcpus > quotas.vcpus) {
    return `quota of ${quotas.vcpus} vCPUs would be exceeded (${usage.vcpus} used)`;
  }
  if (quotas.memoryMiB !== undefined && usage.memoryMiB + plan.memoryMiB > quotas.memoryMiB) {
    return `quota of ${quotas.memoryMiB} MiB memory would be exceeded (${usage.memoryMiB} used)`;
  }
  return undefined;
}

/** The smallest share of a quota left after placing the plan (1 when no quotas are set). */
function headroom(c: PlacementCandidate, plan: ProviderPlan): number {
  const shares: number[] = [];
  if (c.quotas.machines) shares.push((c.quotas.machines - c.usage.machines - 1) / c.quotas.machines);
  if (c.quotas.vcpus) shares.push((c.quotas.vcpus - c.usage.vcpus - plan.vcpus) / c.quotas.vcpus);
  if (c.quotas.memoryMiB)
    shares.push((c.quotas.memoryMiB - c.usage.memoryMiB - plan.memoryMiB) / c.quotas.memoryMiB);
  return shares.length === 0 ? 1 : Math.min(...shares);
}

function names(list: readonly string[]): string {
  const unique = [...new Set(list)].sort();
  return unique.length === 0 ? '(none)' : unique.join(', ');
}
