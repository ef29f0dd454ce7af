import {
  type BackupPolicy,
  RESOURCE_PROVIDER_KINDS,
  type AppSelection,
  type PlacementPreference,
  type ResourceProviderKind,
} from '@fedops/contracts';
import { validateAppSelections } from '@fedops/catalog';
import { FedopsError, normaliseDomain, validateDomain, type FieldError } from '@fedops/domain';
import { isProviderName } from '../providers/provider.dto';

export interface CreateTenantCommand {
  org?: string;
  domain: string;
  apps: AppSelection[];
  /** The machine size, by a name providers register plans under. */
  plan: string;
  /** Where the operator would like the machine (placement chooses among what fits). */
  placement: PlacementPreference;
  /**
   * `provider` of the request (kept for compatibility): the kind the chosen provider must be of. Only
   * with `placement.provider` may it name another kind than sandbox.
   */
  kind?: ResourceProviderKind;
}

/** The plan of a tenant whose request names none. */
export const DEFAULT_PLAN = 'small';

const ORG = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** As providers name their plans and locations (parseProviderRegistration). */
export const PLAN_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;
export const LOCATION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const KNOWN_FIELDS = new Set(['org', 'domain', 'apps', 'provider', 'plan', 'placement']);

/**
 * Validates a POST /v1/tenants body at the edge. Collects every problem (unknown fields, bad domain,
 * unknown apps, bad options) and throws one validation error naming each field.
 */
export function parseCreateTenantRequest(body: unknown): CreateTenantCommand {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw FedopsError.validation([{ field: '(body)', message: 'must be a JSON object' }]);
  }
  const raw = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) errors.push({ field: key, message: 'is not a known field' });
  }
  if (raw['org'] !== undefined && (typeof raw['org'] !== 'string' || !ORG.test(raw['org']))) {
    errors.push({
      field: 'org',
      message: 'must be an organisation id (lower-case letters, digits, hyphens)',
    });
  }
  if (typeof raw['domain'] !== 'string')
    errors.push({ field: 'domain', message: 'is required and must be a string' });
  else errors.push(...validateDomain(raw['domain']));
  errors.push(...validateAppSelections(raw['apps']));
  const plan = raw['plan'] ?? DEFAULT_PLAN;
  if (typeof plan !== 'string' || !PLAN_PATTERN.test(plan)) {
    errors.push({
      field: 'plan',
      message: 'must be a plan name (lower-case letters, digits, hyphens; GET /v1/providers lists them)',
    });
  }
  const placement = parsePlacement(raw['placement'], errors);
  const kind = raw['provider'];
  if (kind !== undefined) {
    if (typeof kind !== 'string' || !(RESOURCE_PROVIDER_KINDS as readonly string[]).includes(kind)) {
      errors.push({ field: 'provider', message: `must be one of ${RESOURCE_PROVIDER_KINDS.join(', ')}` });
    } else if (kind !== 'sandbox' && placement?.provider === undefined) {
      errors.push({
        field: 'provider',
        message:
          `names a kind, not a provider: name the ${kind} provider to use in placement.provider ` +
          '(or leave both out and placement chooses)',
      });
    }
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return {
    ...(typeof raw['org'] === 'string' ? { org: raw['org'] } : {}),
    domain: normaliseDomain(raw['domain'] as string),
    apps: (raw['apps'] as Array<{ app: string; options?: AppSelection['options'] }>).map((a) => ({
      app: a.app,
      options: a.options ?? {},
    })),
    plan: plan as string,
    placement: placement ?? {},
    // `provider: sandbox` alone was what every request meant before providers were registered: no
    // preference. With placement.provider it is a check of that provider's kind.
    ...(typeof kind === 'string' && (kind !== 'sandbox' || placement?.provider !== undefined)
      ? { kind: kind as ResourceProviderKind }
      : {}),
  };
}

/** `placement`: an object with an optional provider name and location; problems go to `errors`. */
function parsePlacement(value: unknown, errors: FieldError[]): PlacementPreference | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push({ field: 'placement', message: 'must be an object with `provider` and/or `location`' });
    return undefined;
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (key !== 'provider' && key !== 'location') {
      errors.push({ field: `placement.${key}`, message: 'is not a known field (provider, location)' });
    }
  }
  const { provider, location } = raw;
  if (provider !== undefined && (typeof provider !== 'string' || !isProviderName(provider))) {
    errors.push({ field: 'placement.provider', message: 'must be the name of a registered provider' });
  }
  if (location !== undefined && (typeof location !== 'string' || !LOCATION_PATTERN.test(location))) {
    errors.push({ field: 'placement.location', message: 'must be a region, location or node name' });
  }
  return {
    ...(typeof provider === 'string' ? { provider } : {}),
    ...(typeof location === 'string' ? { location } : {}),
  };
}

/** The public representation of a tenant. */
export interface TenantView {
  id: string;
  org: string;
  domain: string;
  status: string;
  provider: string;
  /** Where its machine is (absent for tenants created before placement existed). */
  placement?: TenantPlacementView;
  apps: Array<{ app: string; options: AppSelection['options']; url: string }>;
  operation: { id: string; href: string };
  error?: string;
  /** The machine runs something else than fedops activated last (the drift check found it). */
  drift?: TenantDriftView;
  /** Its backup policy, and when its last backup succeeded (and one last failed). */
  backups: {
    policy: BackupPolicy;
    lastSucceededAt?: string;
    lastFailedAt?: string;
    links: { snapshots: string; policy: string };
  };
  createdAt: string;
  updatedAt: string;
  links: { self: string; events: string };
}

export interface TenantDriftView {
  detectedAt: string;
  expected: { generation: number; configHash: string };
  found: { generation?: number; configHash?: string };
  /** In words, with what to do about it. */
  message: string;
}

/** Where a tenant's machine was placed and why (the provider by name; operators see it too). */
export interface TenantPlacementView {
  machineId: string;
  provider: string;
  location: string;
  plan: string;
  reason: string;
}
