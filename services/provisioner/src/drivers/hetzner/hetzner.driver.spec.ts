import { FedopsError } from '@fedops/domain';
import type { HetznerServerType } from './hetzner-api';
import { labelSelectorOf, machineStatusOf, smallestFittingType, sshKeyFingerprint } from './hetzner.driver';

describe('Hetzner driver helpers', () => {
  it('selects by every label', () => {
    expect(labelSelectorOf({ 'fedops-machine': 'abc-1', 'fedops-platform': 'p1' })).toBe(
      'fedops-machine==abc-1,fedops-platform==p1',
    );
    expect(() => labelSelectorOf({ 'fedops-machine': 'a,b' })).toThrow(FedopsError);
    expect(() => labelSelectorOf({ 'bad key': 'x' })).toThrow(FedopsError);
  });

  it('fingerprints SSH keys as Hetzner does (MD5, colon hex)', () => {
    expect(
      sshKeyFingerprint('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINVjD78x4NU2HtAW9FCe1j4GLQSFieE+F+XaEoWB6Esr t'),
    ).toBe('e3:e5:bc:61:c1:ce:c7:54:39:ed:0e:eb:86:c1:7a:59');
    expect(() => sshKeyFingerprint('garbage')).toThrow(FedopsError);
  });

  it('maps server states onto machine states', () => {
    expect(
      [
        'initializing',
        'starting',
        'running',
        'stopping',
        'off',
        'deleting',
        'migrating',
        'rebuilding',
        'unknown',
      ].map(machineStatusOf),
    ).toEqual([
      'creating',
      'creating',
      'running',
      'stopped',
      'stopped',
      'deleting',
      'unknown',
      'unknown',
      'unknown',
    ]);
  });

  describe('smallestFittingType', () => {
    const type = (
      name: string,
      cores: number,
      memory: number,
      disk: number,
      extra: Partial<HetznerServerType> = {},
    ) => ({
      id: name.length,
      name,
      cores,
      memory,
      disk,
      architecture: 'x86',
      deprecation: null,
      locations: [{ name: 'fsn1', available: true }],
      prices: [{ location: 'fsn1', price_monthly: { net: String(cores * memory) } }],
      ...extra,
    });
    const types: HetznerServerType[] = [
      type('cpx31', 4, 8, 160),
      type('cpx11', 2, 2, 40),
      type('cx22', 2, 4, 40),
      type('cpx21', 3, 4, 80),
      type('cax11', 2, 4, 40, { architecture: 'arm' }),
      type('old', 8, 16, 240, { deprecation: { announced: '2024-01-01' } }),
      type('far', 2, 2, 40, { locations: [{ name: 'ash', available: true }] }),
    ];

    it('picks the smallest that fits in the location', () => {
      const pick = (vcpus: number, memoryMiB: number, diskGiB: number, minDiskGiB?: number) =>
        smallestFittingType(types, { vcpus, memoryMiB, diskGiB }, 'fsn1', {
          architecture: 'x86',
          ...(minDiskGiB !== undefined ? { minDiskGiB } : {}),
        })?.name;
      expect(pick(1, 1024, 20)).toBe('cpx11');
      expect(pick(2, 4096, 40)).toBe('cx22');
      expect(pick(3, 4096, 40)).toBe('cpx21');
      expect(pick(4, 4096, 50)).toBe('cpx31');
      expect(pick(2, 2048, 40, 80)).toBe('cpx21');
      expect(pick(8, 16384, 100)).toBeUndefined();
    });

    it('breaks ties between equal sizes by price', () => {
      const twins = [
        type('dear', 2, 4, 40, { prices: [{ location: 'fsn1', price_monthly: { net: '9' } }] }),
        type('cheap', 2, 4, 40),
      ];
      expect(smallestFittingType(twins, { vcpus: 2, memoryMiB: 4096, diskGiB: 40 }, 'fsn1')?.name).toBe(
        'cheap',
      );
    });
  });
});
