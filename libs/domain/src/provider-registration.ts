import {
  RESOURCE_PROVIDER_KINDS,
  type ProviderPlan,
  type ProviderQuotas,
  type ProviderRegistration,
  type ResourceProviderKind,
} from '@fedops/contracts';
import { FedopsError, type FieldError } from './errors';

/** Per kind: which credential fields it needs and which settings it understands (one source for API and provisioner). */
export const PROVIDER_KIND_RULES: Record<
  ResourceProviderKind,
  {
    credentials: readonly string[];
    settings: readonly string[];
    /** Whether `endpoint` must be given (Proxmox) or defaults to the vendor's public API. */
    endpointRequired: boolean;
    /** Whether plans name the vendor's size slug. */
    sizeSlugs: boolean;
  }
> = {
  sandbox: { credentials: [], settings: [], endpointRequired: false, sizeSlugs: false },
  proxmox: {
    credentials: ['tokenId', 'tokenSecret'],
    settings: ['storage', 'bridge', 'ipconfig', 'nameserver'],
    endpointRequired: true,
    sizeSlugs: false,
  },
  hetzner: { credentials: ['token'], settings: [], endpointRequired: false, sizeSlugs: true },
  digitalocean: { credentials: ['token'], settings: [], endpointRequired: false, sizeSlugs: true },
};

const NAME = /^[a-z][a-z0-9-]{1,40}[a-z0-9]$/;
const PLAN_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const LOCATION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const FIELDS = new Set([
  'name',
  'kind',
  'endpoint',
  'credentials',
  'locations',
  'plans',
  'image',
  'settings',
  'quotas',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveInt(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= max;
}

/**
 * Validates a provider registration (POST /v1/providers, and again where the provisioner receives it):
 * every problem is collected and named by its field; credential values are never echoed.
 */
export function parseProviderRegistration(body: unknown): ProviderRegistration {
  if (!isObject(body)) throw FedopsError.validation([{ field: '(body)', message: 'must be a JSON object' }]);
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!FIELDS.has(key)) errors.push({ field: key, message: 'is not a known field' });
  }
  const { name, kind, endpoint, credentials, locations, plans, image, settings, quotas } = body;
  if (typeof name !== 'string' || !NAME.test(name)) {
    errors.push({
      field: 'name',
      message: '3-42 lower-case letters, digits and hyphens, starting with a letter',
    });
  }
  const knownKind =
    typeof kind === 'string' && (RESOURCE_PROVIDER_KINDS as readonly string[]).includes(kind)
      ? (kind as ResourceProviderKind)
      : undefined;
  if (knownKind === undefined) {
    errors.push({ field: 'kind', message: `must be one of ${RESOURCE_PROVIDER_KINDS.join(', ')}` });
  }
  const rules = knownKind === undefined ? undefined : PROVIDER_KIND_RULES[knownKind];

  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = typeof endpoint === 'string' ? new URL(endpoint) : undefined;
    } catch {
      url = undefined;
    }
    if (url === undefined || !['http:', 'https:'].includes(url.protocol) || url.username || url.password) {
      errors.push({ field: 'endpoint', message: 'must be an http(s) URL without credentials in it' });
    }
  } else if (rules?.endpointRequired) {
    errors.push({ field: 'endpoint', message: `is required for ${knownKind as string}` });
  }

  if (!isObject(credentials)) errors.push({ field: 'credentials', message: 'must be an object' });
  else if (rules) {
    for (const field of rules.credentials) {
      const value = credentials[field];
      if (typeof value !== 'string' || value.length === 0 || value.length > 4096) {
        errors.push({ field: `credentials.${field}`, message: 'is required: a non-empty string' });
      }
    }
    for (const field of Object.keys(credentials)) {
      if (!rules.credentials.includes(field)) {
        errors.push({
          field: `credentials.${field}`,
          message: `is not a credential of ${knownKind as string} (known: ${rules.credentials.join(', ') || 'none'})`,
        });
      }
    }
  }

  if (!Array.isArray(locations) || locations.length === 0 || locations.length > 100) {
    errors.push({ field: 'locations', message: 'must list 1-100 regions, locations or nodes' });
  } else {
    locations.forEach((l, i) => {
      if (typeof l !== 'string' || !LOCATION.test(l)) {
        errors.push({ field: `locations[${i}]`, message: 'must be a region, location or node name' });
      }
    });
    if (new Set(locations).size !== locations.length) {
      errors.push({ field: 'locations', message: 'must not repeat a location' });
    }
  }

  if (!Array.isArray(plans) || plans.length === 0 || plans.length > 50) {
    errors.push({ field: 'plans', message: 'must list 1-50 plans' });
  } else {
    const seen = new Set<string>();
    plans.forEach((p: unknown, i) => {
      const at = `plans[${i}]`;
      if (!isObject(p)) {
        errors.push({ field: at, message: 'must be an object' });
        return;
      }
      for (const key of Object.keys(p)) {
        if (!['name', 'vcpus', 'memoryMiB', 'diskGiB', 'size'].includes(key)) {
          errors.push({ field: `${at}.${key}`, message: 'is not a known field' });
        }
      }
      if (typeof p['name'] !== 'string' || !PLAN_NAME.test(p['name'])) {
        errors.push({ field: `${at}.name`, message: 'lower-case letters, digits, hyphens (≤ 31)' });
      } else if (seen.has(p['name'])) errors.push({ field: `${at}.name`, message: 'is listed twice' });
      else seen.add(p['name']);
      if (!positiveInt(p['vcpus'], 512)) errors.push({ field: `${at}.vcpus`, message: 'an integer 1-512' });
      if (!positiveInt(p['memoryMiB'], 4_194_304)) {
        errors.push({ field: `${at}.memoryMiB`, message: 'an integer 1-4194304' });
      }
      if (!positiveInt(p['diskGiB'], 65_536))
        errors.push({ field: `${at}.diskGiB`, message: 'an integer 1-65536' });
      if (rules?.sizeSlugs && (typeof p['size'] !== 'string' || p['size'].length === 0)) {
        errors.push({
          field: `${at}.size`,
          message: `is required for ${knownKind as string}: the vendor's size slug`,
        });
      }
      if (
        p['size'] !== undefined &&
        (typeof p['size'] !== 'string' || !/^[a-z0-9][a-z0-9.-]{0,62}$/.test(p['size']))
      ) {
        errors.push({ field: `${at}.size`, message: 'must be a size slug' });
      }
    });
  }

  if (typeof image !== 'string' || image.length === 0 || image.length > 255) {
    errors.push({
      field: 'image',
      message: 'is required: an image slug or name, or a Proxmox template VMID',
    });
  } else if (knownKind === 'proxmox' && !/^[1-9][0-9]{2,8}$/.test(image)) {
    errors.push({ field: 'image', message: 'must be the VMID of a Proxmox template (100-999999999)' });
  }

  if (settings !== undefined) {
    if (!isObject(settings)) errors.push({ field: 'settings', message: 'must be an object of strings' });
    else if (rules) {
      for (const [key, value] of Object.entries(settings)) {
        if (!rules.settings.includes(key)) {
          errors.push({
            field: `settings.${key}`,
            message: `is not a setting of ${knownKind as string} (known: ${rules.settings.join(', ') || 'none'})`,
          });
        } else if (typeof value !== 'string' || value.length > 255) {
          errors.push({ field: `settings.${key}`, message: 'must be a string (≤ 255)' });
        }
      }
    }
  }
  if (knownKind === 'proxmox' && !(isObject(settings) && typeof settings['storage'] === 'string')) {
    errors.push({
      field: 'settings.storage',
      message: 'is required for proxmox: the storage full clones go to',
    });
  }

  if (quotas !== undefined) {
    if (!isObject(quotas)) errors.push({ field: 'quotas', message: 'must be an object' });
    else {
      for (const [key, value] of Object.entries(quotas)) {
        if (!['machines', 'vcpus', 'memoryMiB'].includes(key)) {
          errors.push({
            field: `quotas.${key}`,
            message: 'is not a known quota (machines, vcpus, memoryMiB)',
          });
        } else if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
          errors.push({ field: `quotas.${key}`, message: 'must be a non-negative integer' });
        }
      }
    }
  }

  if (errors.length > 0) throw FedopsError.validation(errors);
  return {
    name: name as string,
    kind: knownKind as ResourceProviderKind,
    ...(endpoint !== undefined ? { endpoint: (endpoint as string).replace(/\/+$/, '') } : {}),
    credentials: credentials as Record<string, string>,
    locations: locations as string[],
    plans: (plans as ProviderPlan[]).map((p) => ({
      name: p.name,
      vcpus: p.vcpus,
      memoryMiB: p.memoryMiB,
      diskGiB: p.diskGiB,
      ...(p.size !== undefined ? { size: p.size } : {}),
    })),
    image: image as string,
    settings: (settings as Record<string, string> | undefined) ?? {},
    quotas: (quotas as ProviderQuotas | undefined) ?? {},
  };
}
