import type { DriverMachine } from '../drivers/resource-provider.driver';
import { OWNER_LABELS } from '../drivers/resource-provider.driver';
import type { MachineEntity } from '../machines/machine.entity';

export interface Discrepancy {
  kind: 'orphan' | 'missing';
  externalId: string;
  name: string;
  machineId: string | null;
  tenantId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Compares one provider's machines carrying this platform's label with the inventory rows of that
 * provider (read *after* the provider was listed: rows are written before a create, so a machine
 * listed has its row by then). An orphan is a labelled machine no row knows; a machine whose row is
 * still `creating` is a create in flight, not an orphan. `missing` are candidates only: ready rows
 * not in the list, which the caller confirms with a direct look-up before reporting.
 */
export function compareInventory(
  atProvider: readonly DriverMachine[],
  rows: readonly Pick<MachineEntity, 'id' | 'externalId' | 'status' | 'name' | 'tenantId'>[],
): { orphans: Discrepancy[]; missingCandidates: typeof rows } {
  const rowIds = new Set(rows.map((r) => r.id));
  const externalIds = new Set(rows.flatMap((r) => (r.externalId === null ? [] : [r.externalId])));
  const orphans: Discrepancy[] = [];
  const seenIds = new Set<string>();
  const seenExternal = new Set<string>();
  for (const m of atProvider) {
    seenExternal.add(m.providerId);
    const machineId = m.labels[OWNER_LABELS.machineId];
    if (machineId !== undefined) seenIds.add(machineId);
    if (m.status === 'deleting') continue;
    if (externalIds.has(m.providerId) || (machineId !== undefined && rowIds.has(machineId))) continue;
    const tenantId = m.labels[OWNER_LABELS.tenantId];
    orphans.push({
      kind: 'orphan',
      externalId: m.providerId,
      name: m.name,
      machineId: machineId !== undefined && UUID.test(machineId) ? machineId : null,
      tenantId: tenantId !== undefined && UUID.test(tenantId) ? tenantId : null,
    });
  }
  const missingCandidates = rows.filter(
    (r) =>
      r.status === 'ready' && r.externalId !== null && !seenExternal.has(r.externalId) && !seenIds.has(r.id),
  );
  return { orphans, missingCandidates };
}
