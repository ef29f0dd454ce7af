import type {
  AppSelection,
  ConfigurationFileChange,
  MachineCleanupResult,
  MachineFinding,
  MachineRef,
  OperationKind,
  OperationStatus,
  OperationStep,
  ProviderView as ProvisionerProviderView,
  ReconcileReport,
} from '@fedops/contracts';

// The API's answers as this command reads them (docs/openapi.json has the full schemas). Only the
// fields used here are named; `--json` prints what the server sent, whatever else it holds.

export interface TenantView {
  id: string;
  org: string;
  domain: string;
  status: string;
  provider: string;
  /** Where its machine is and why (absent for tenants from before placement). */
  placement?: { machineId: string; provider: string; location: string; plan: string; reason: string };
  apps: Array<{ app: string; options: Record<string, unknown>; url: string }>;
  operation: { id: string; href: string };
  error?: string;
  createdAt: string;
  updatedAt: string;
}

/** PATCH /v1/tenants/{id}: a change to a tenant's apps (UpdateTenantRequest). */
export interface UpdateTenantRequest {
  apps: {
    add?: AppSelection[];
    remove?: string[];
    /** Merged into the app's current options; `null` puts an option back to its default. */
    change?: Array<{ app: string; options: Record<string, AppSelection['options'][string] | null> }>;
  };
  /** Removed apps that hold data (files or a database): the server refuses to remove them unless named here. */
  confirmRemoval?: string[];
}

/** PATCH /v1/tenants/{id}?dryRun=true: what the change would do; nothing was stored or started. */
export interface TenantChangePreview {
  dryRun: true;
  /** `update` for a running tenant; `deploy` for one whose deploy failed and was undone. */
  operation: { kind: OperationKind };
  apps: { added: string[]; removed: string[]; changed: string[] };
  /** The files of the rendered NixOS configuration that would differ, sorted by path. */
  configuration: { files: ConfigurationFileChange[] };
  /** Names whose DNS records would be added or removed. */
  dns: { added: string[]; removed: string[] };
}

/** The `operation` extension of a 409 problem: the operation running on the tenant, which blocks a change. */
export interface BlockingOperation {
  id: string;
  kind: OperationKind;
  href: string;
}

export interface OperationView {
  id: string;
  kind: OperationKind;
  tenantId: string;
  org: string;
  status: OperationStatus;
  requestedBy: string;
  steps: OperationStep[];
  failedStep?: string;
  error?: string;
  errorDetail?: string;
  retryOf?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface OptionSpecView {
  /** `subdomain`: a DNS label an endpoint answers on; `enable`: switches a part of the app on or off. */
  type: 'subdomain' | 'enable' | 'string' | 'boolean' | 'integer' | 'enum' | string;
  description: string;
  /** Order in forms and tables: lower first. */
  weight?: number;
  default?: unknown;
  required?: boolean;
  values?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  patternHint?: string;
  maxLength?: number;
  /** Values the pattern allows but the app refuses. */
  notIn?: string[];
}

export type CatalogEndpointView =
  | {
      kind: 'http';
      id: string;
      subdomainOption: string;
      healthPath: string;
      maxBodySize: string;
      enabledBy?: string;
    }
  | { kind: 'host'; id: string; subdomainOption: string; purpose: string; enabledBy?: string }
  | { kind: 'apex-path'; id: string; path: string; purpose: string; enabledBy?: string };

/** GET /v1/apps/{id}. Fields a server from before the catalog's metadata lacks are optional here. */
export interface CatalogApp {
  id: string;
  name: string;
  description: string;
  homepage?: string;
  license?: string;
  supportLevel?: string;
  package?: string;
  options: Record<string, OptionSpecView>;
  endpoints?: CatalogEndpointView[];
  ports?: Array<{ protocol: string; port: number; to?: number; purpose: string; enabledBy?: string }>;
  /** Names only: the values never leave the platform. */
  secrets?: Array<{ name: string; description: string; enabledBy?: string }>;
  databases?: string[];
  dataPaths?: string[];
  movable?: boolean;
  admin?: { username: { option: string } | { fixed: string }; emailOption?: string };
  resources?: { vcpu: number; memoryMiB: number; diskGiB: number };
}

export type MachineView = MachineRef;

/** GET /v1/machines: the inventory and the machine reconciler's last run (null before the first). */
export interface MachineListView {
  items: MachineView[];
  reconciliation: ReconcileReport | null;
}

export type { MachineCleanupResult, MachineFinding, ReconcileReport };

/** A registered resource provider (GET /v1/providers): never its credentials. */
export interface ProviderView extends ProvisionerProviderView {
  links: { self: string; test: string };
}
