import type { ResourceProviderKind } from './machine';

/** A machine size a provider sells under a platform-wide name (`small`, `medium` ...). */
export interface ProviderPlan {
  name: string;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  /** The vendor's own size slug (Hetzner `cpx21`, DigitalOcean `s-2vcpu-4gb`); Proxmox and sandbox: none. */
  size?: string;
}

/** Upper bounds ops set on what the platform may hold at one provider; absent = no bound. */
export interface ProviderQuotas {
  machines?: number;
  vcpus?: number;
  memoryMiB?: number;
}

/** What ops staff send to register a resource provider (POST /v1/providers). */
export interface ProviderRegistration {
  /** Unique name ops and operators refer to it by, e.g. `pve-fra1`, `hetzner-main`. */
  name: string;
  kind: ResourceProviderKind;
  /** API base URL (Proxmox `https://pve.example:8006`, clouds: the vendor's default when absent). */
  endpoint?: string;
  /** Kind-specific secrets (Proxmox `tokenId` + `tokenSecret`, clouds `token`); sealed at rest, never returned. */
  credentials: Record<string, string>;
  /** Regions, locations or Proxmox nodes machines may be placed in. */
  locations: string[];
  plans: ProviderPlan[];
  /** The image (cloud slug/name) or Proxmox template VMID machines are made from. */
  image: string;
  /** Kind-specific, non-secret settings (Proxmox `storage`, `bridge`, ...). */
  settings?: Record<string, string>;
  quotas?: ProviderQuotas;
}

export const PROVIDER_STATUSES = ['active', 'draining'] as const;
export type ProviderStatus = (typeof PROVIDER_STATUSES)[number];

/** A registered provider as ops see it: everything but the credentials. */
export interface ProviderView {
  id: string;
  name: string;
  kind: ResourceProviderKind;
  endpoint: string | null;
  locations: string[];
  plans: ProviderPlan[];
  image: string;
  settings: Record<string, string>;
  quotas: ProviderQuotas;
  status: ProviderStatus;
  /** Which credential fields are set (names only). */
  credentialFields: string[];
  /** The last connection test. */
  lastCheck: { ok: boolean; at: string; message: string; locations: string[] } | null;
  /** What the platform holds there now. */
  usage: { machines: number; vcpus: number; memoryMiB: number };
  createdAt: string;
  updatedAt: string;
}

/** What an operator may ask of placement (POST /v1/tenants `placement`). */
export interface PlacementPreference {
  /** A provider's name. */
  provider?: string;
  /** A region, location or node of any provider (or of `provider`). */
  location?: string;
}

/** Where a machine goes, chosen before a workflow starts and recorded with why. */
export interface MachinePlacement {
  /** The inventory id the machine will have (the provider label that makes creates idempotent). */
  machineId: string;
  providerId: string;
  providerName: string;
  kind: ResourceProviderKind;
  location: string;
  plan: string;
  /** Human-readable: why this provider and location (capacity, quotas, preference). */
  reason: string;
}

export interface ChoosePlacementRequest {
  tenantId: string;
  plan: string;
  preference?: PlacementPreference;
}

/**
 * Answer of every provisioner request/reply: a value, or a coded error that the asking service turns
 * into its own error (tenant-api: an RFC 9457 problem). `code` is a FedopsErrorCode value.
 */
export type RpcReply<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      error: {
        code: string;
        message: string;
        fields?: Array<{ field: string; message: string }>;
        extensions?: Record<string, unknown>;
      };
    };

export const PROVIDERS_REGISTER_SUBJECT = 'rpc.fedops.provisioner.providers.register';
export const PROVIDERS_LIST_SUBJECT = 'rpc.fedops.provisioner.providers.list';
export const PROVIDERS_GET_SUBJECT = 'rpc.fedops.provisioner.providers.get';
export const PROVIDERS_TEST_SUBJECT = 'rpc.fedops.provisioner.providers.test';
export const PROVIDERS_REMOVE_SUBJECT = 'rpc.fedops.provisioner.providers.remove';
export const PLACEMENT_CHOOSE_SUBJECT = 'rpc.fedops.provisioner.placement.choose';
