import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { choosePlacement, type PlacementCandidate } from './placement';

function candidate(overrides: Partial<PlacementCandidate> & { name: string }): PlacementCandidate {
  return {
    id: `id-${overrides.name}`,
    kind: 'proxmox',
    status: 'active',
    locations: ['pve1', 'pve2'],
    plans: [{ name: 'small', vcpus: 2, memoryMiB: 4096, diskGiB: 40 }],
    quotas: {},
    usage: { machines: 0, vcpus: 0, memoryMiB: 0 },
    capacity: {
      locations: [
        { name: 'pve1', available: true, freeMemoryMiB: 8192, freeDiskGiB: 500 },
        { name: 'pve2', available: true, freeMemoryMiB: 16384, freeDiskGiB: 500 },
      ],
    },
    ...overrides,
  };
}

function refusal(run: () => unknown): FedopsError {
  try {
    run();
  } catch (err) {
    if (err instanceof FedopsError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('choosePlacement', () => {
  it('picks the Proxmox node with the most free memory and says why', () => {
    const choice = choosePlacement([candidate({ name: 'pve-a' })], 'small');
    expect(choice).toMatchObject({ providerName: 'pve-a', location: 'pve2' });
    expect(choice.reason).toContain('pve2 has the most free memory (16384 MiB)');
  });

  it('skips a node without enough free memory or disk', () => {
    const choice = choosePlacement(
      [
        candidate({
          name: 'pve-a',
          capacity: {
            locations: [
              { name: 'pve1', available: true, freeMemoryMiB: 2048, freeDiskGiB: 500 },
              { name: 'pve2', available: true, freeMemoryMiB: 99999, freeDiskGiB: 10 },
            ],
          },
        }),
        candidate({
          name: 'pve-b',
          locations: ['pve9'],
          capacity: { locations: [{ name: 'pve9', available: true, freeMemoryMiB: 4096, freeDiskGiB: 40 }] },
        }),
      ],
      'small',
    );
    expect(choice).toMatchObject({ providerName: 'pve-b', location: 'pve9' });
    expect(choice.reason).toContain('pve-a/pve1: 2048 MiB free, plan needs 4096');
    expect(choice.reason).toContain('pve-a/pve2: 10 GiB disk free, plan needs 40');
  });

  it('prefers the cloud with more quota headroom when no free memory is reported', () => {
    const cloud = (name: string, used: number): PlacementCandidate =>
      candidate({
        name,
        kind: 'hetzner',
        locations: ['fsn1'],
        quotas: { machines: 10 },
        usage: { machines: used, vcpus: 0, memoryMiB: 0 },
        capacity: { locations: [{ name: 'fsn1', available: true }] },
      });
    expect(choosePlacement([cloud('hz-a', 8), cloud('hz-b', 2)], 'small').providerName).toBe('hz-b');
  });

  it('honours provider and location preferences', () => {
    const choice = choosePlacement([candidate({ name: 'pve-a' }), candidate({ name: 'pve-b' })], 'small', {
      provider: 'pve-b',
      location: 'pve1',
    });
    expect(choice).toMatchObject({ providerName: 'pve-b', location: 'pve1' });
  });

  it('refuses an unknown provider, plan or location with 400 listing the valid ones', () => {
    const all = [candidate({ name: 'pve-a' })];
    expect(refusal(() => choosePlacement(all, 'small', { provider: 'nope' })).details.fields).toEqual([
      { field: 'placement.provider', message: 'is not an active provider; valid: pve-a' },
    ]);
    expect(refusal(() => choosePlacement(all, 'huge')).details.fields).toEqual([
      { field: 'plan', message: 'is not offered here; valid: small' },
    ]);
    expect(refusal(() => choosePlacement(all, 'small', { location: 'mars' })).details.fields).toEqual([
      { field: 'placement.location', message: 'is not a location of these providers; valid: pve1, pve2' },
    ]);
  });

  it('answers 409 with every reason when nothing has room', () => {
    const err = refusal(() =>
      choosePlacement(
        [
          candidate({
            name: 'full',
            quotas: { machines: 1 },
            usage: { machines: 1, vcpus: 2, memoryMiB: 4096 },
          }),
          candidate({ name: 'down', capacity: { error: 'connect ECONNREFUSED' } }),
          candidate({ name: 'draining', status: 'draining' }),
        ],
        'small',
      ),
    );
    expect(err.code).toBe(FedopsErrorCode.Conflict);
    expect(err.message).toContain('full: quota of 1 machines reached');
    expect(err.message).toContain('down: could not be asked for capacity (connect ECONNREFUSED)');
    expect(err.message).not.toContain('draining');
  });

  it('refuses vCPU and memory quotas that the plan would exceed', () => {
    const err = refusal(() =>
      choosePlacement(
        [
          candidate({
            name: 'tight',
            quotas: { vcpus: 3, memoryMiB: 100000 },
            usage: { machines: 1, vcpus: 2, memoryMiB: 0 },
          }),
        ],
        'small',
      ),
    );
    expect(err.message).toContain('quota of 3 vCPUs would be exceeded (2 used)');
  });
});
