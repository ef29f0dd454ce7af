import { randomUUID } from 'node:crypto';
import type { DriverMachine } from '../drivers/resource-provider.driver';
import { compareInventory } from './compare-inventory';

function atProvider(
  externalId: string,
  labels: Record<string, string>,
  status: DriverMachine['status'] = 'running',
): DriverMachine {
  return {
    providerId: externalId,
    name: `vm-${externalId}`,
    status,
    labels,
    location: 'x',
    sizing: { vcpus: 1, memoryMiB: 1024, diskGiB: 10 },
  };
}

function row(externalId: string | null, status: 'creating' | 'ready' | 'deleting' = 'ready') {
  return { id: randomUUID(), externalId, status, name: `fo-${externalId ?? 'new'}`, tenantId: randomUUID() };
}

describe('compareInventory', () => {
  it('reports a labelled machine no row knows as an orphan, with its tenant label', () => {
    const tenantId = randomUUID();
    const machineId = randomUUID();
    const { orphans } = compareInventory(
      [atProvider('101', { 'fedops-machine': machineId, 'fedops-tenant': tenantId })],
      [],
    );
    expect(orphans).toEqual([{ kind: 'orphan', externalId: '101', name: 'vm-101', machineId, tenantId }]);
  });

  it('does not count a create in flight (row creating, no external id yet) as an orphan', () => {
    const creating = row(null, 'creating');
    const { orphans } = compareInventory([atProvider('102', { 'fedops-machine': creating.id })], [creating]);
    expect(orphans).toEqual([]);
  });

  it('ignores machines being deleted and keeps bad label values out of ids', () => {
    const { orphans } = compareInventory(
      [
        atProvider('103', { 'fedops-machine': 'x' }, 'deleting'),
        atProvider('104', { 'fedops-machine': 'not-a-uuid' }),
      ],
      [],
    );
    expect(orphans.map((o) => [o.externalId, o.machineId])).toEqual([['104', null]]);
  });

  it('lists ready rows the provider did not show as missing candidates, not creating ones', () => {
    const gone = row('201');
    const present = row('202');
    const inFlight = row(null, 'creating');
    const { missingCandidates } = compareInventory([atProvider('202', {})], [gone, present, inFlight]);
    expect(missingCandidates).toEqual([gone]);
  });
});
