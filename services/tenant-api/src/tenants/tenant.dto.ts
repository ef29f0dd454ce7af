import { RESOURCE_PROVIDER_KINDS, type AppSelection, type ResourceProviderKind } from '@fedops/contracts';
import { validateAppSelections } from '@fedops/catalog';
import { FedopsError, normaliseDomain, validateDomain, type FieldError } from '@fedops/domain';

export interface CreateTenantCommand {
  org?: string;
  domain: string;
  apps: AppSelection[];
  provider: ResourceProviderKind;
}

const ORG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const KNOWN_FIELDS = new Set(['org', 'domain', 'apps', 'provider']);

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
  const provider = raw['provider'] ?? 'sandbox';
  if (typeof provider !== 'string' || !(RESOURCE_PROVIDER_KINDS as readonly string[]).includes(provider)) {
    errors.push({ field: 'provider', message: `must be one of ${RESOURCE_PROVIDER_KINDS.join(', ')}` });
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return {
    ...(typeof raw['org'] === 'string' ? { org: raw['org'] } : {}),
    domain: normaliseDomain(raw['domain'] as string),
    apps: (raw['apps'] as Array<{ app: string; options?: AppSelection['options'] }>).map((a) => ({
      app: a.app,
      options: a.options ?? {},
    })),
    provider: provider as ResourceProviderKind,
  };
}

/** The public representation of a tenant. */
export interface TenantView {
  id: string;
  org: string;
  domain: string;
  status: string;
  provider: string;
  apps: Array<{ app: string; options: AppSelection['options']; url: string }>;
  operation: { id: string; href: string };
  error?: string;
  createdAt: string;
  updatedAt: string;
  links: { self: string; events: string };
}
