import type { MachineRef, OperationKind, OperationStatus, OperationStep } from '@fedops/contracts';

// The API's answers as this command reads them (docs/openapi.json has the full schemas). Only the
// fields used here are named; `--json` prints what the server sent, whatever else it holds.

export interface TenantView {
  id: string;
  org: string;
  domain: string;
  status: string;
  provider: string;
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
