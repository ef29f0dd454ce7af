import type { ProviderView as ProvisionerProviderView } from '@fedops/contracts';

/** A registered provider as the API shows it: the provisioner's view (never credentials) and its links. */
export interface ProviderView extends ProvisionerProviderView {
  links: { self: string; test: string };
}

/** The `{provider}` path parameter: a provider's id (a UUID) or its name (as registrations allow it). */
export const PROVIDER_REF_PATTERN =
  '^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z][a-z0-9-]{1,40}[a-z0-9])$';
const PROVIDER_REF = new RegExp(PROVIDER_REF_PATTERN);
/** A provider's name, as parseProviderRegistration allows it. */
export const PROVIDER_NAME_PATTERN = '^[a-z][a-z0-9-]{1,40}[a-z0-9]$';
const PROVIDER_NAME = new RegExp(PROVIDER_NAME_PATTERN);

/**
 * Whether `ref` can name a provider. Anything else names none: tenant-api answers 404 without asking
 * the provisioner, as it does for a tenant id that is no UUID.
 */
export function isProviderRef(ref: string): boolean {
  return PROVIDER_REF.test(ref);
}

/** Whether `name` is a provider's name as registrations allow it (parseProviderRegistration). */
export function isProviderName(name: string): boolean {
  return PROVIDER_NAME.test(name);
}

/**
 * The API's view of the provisioner's: its fields picked one by one (so nothing the provisioner might
 * add, a credential least of all, reaches an answer unless it is named here), with links.
 */
export function toProviderView(p: ProvisionerProviderView): ProviderView {
  const self = `/v1/providers/${p.id}`;
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    endpoint: p.endpoint,
    locations: p.locations,
    plans: p.plans,
    image: p.image,
    settings: p.settings,
    quotas: p.quotas,
    status: p.status,
    credentialFields: p.credentialFields,
    lastCheck: p.lastCheck,
    usage: p.usage,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    links: { self, test: `${self}/test` },
  };
}
