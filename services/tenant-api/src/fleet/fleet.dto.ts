import type {
  MachineCleanupRequest,
  MachineCleanupResult,
  MachineFinding,
  MachineRef,
  ReconcileReport,
} from '@fedops/contracts';
import { FedopsError, type FieldError } from '@fedops/domain';

/** GET /v1/machines: the inventory, and what the last reconciliation found (null before the first). */
export interface MachineListView {
  items: MachineRef[];
  reconciliation: ReconcileReport | null;
}

/** POST /v1/machines/cleanup: `dryRun` is required, so deleting is never the default. */
export function parseMachineCleanupRequest(body: unknown): MachineCleanupRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw FedopsError.validation([{ field: '(body)', message: 'must be a JSON object' }]);
  }
  const raw = body as Record<string, unknown>;
  const errors: FieldError[] = Object.keys(raw)
    .filter((k) => k !== 'dryRun')
    .map((field) => ({ field, message: 'is not a known field' }));
  if (typeof raw['dryRun'] !== 'boolean') {
    errors.push({
      field: 'dryRun',
      message: 'is required: true to list the orphans that would be deleted, false to delete them',
    });
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return { dryRun: raw['dryRun'] as boolean };
}

/**
 * The API's view of the provisioner's report: its fields picked one by one, so nothing the
 * provisioner might add reaches an answer unless it is named here (as for providers).
 */
export function toReconcileReportView(report: ReconcileReport): ReconcileReport {
  return {
    checkedAt: report.checkedAt,
    providers: report.providers.map((p) => ({
      providerId: p.providerId,
      name: p.name,
      ok: p.ok,
      ...(p.error !== undefined ? { error: p.error } : {}),
      machines: p.machines,
    })),
    findings: report.findings.map(toFindingView),
  };
}

export function toCleanupResultView(result: MachineCleanupResult): MachineCleanupResult {
  return {
    dryRun: result.dryRun,
    orphans: result.orphans.map(toFindingView),
    skipped: result.skipped.map((s) => ({
      externalId: s.externalId,
      providerName: s.providerName,
      why: s.why,
    })),
  };
}

function toFindingView(f: MachineFinding): MachineFinding {
  return {
    kind: f.kind,
    providerId: f.providerId,
    providerName: f.providerName,
    externalId: f.externalId,
    name: f.name,
    machineId: f.machineId,
    tenantId: f.tenantId,
    firstSeenAt: f.firstSeenAt,
    lastSeenAt: f.lastSeenAt,
  };
}
