import type {
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
  type: 'string' | 'boolean' | 'integer' | 'enum' | string;
  description: string;
  default?: unknown;
  required?: boolean;
  values?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  maxLength?: number;
}

export interface CatalogApp {
  id: string;
  name: string;
  description: string;
  options: Record<string, OptionSpecView>;
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
