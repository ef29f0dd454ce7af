import {
  matchesLabels,
  metadataPath,
  parseMetadata,
  serializeMetadata,
  type SandboxMachineMetadata,
} from './sandbox-metadata';

const METADATA: SandboxMachineMetadata = {
  version: 1,
  name: 'fo-0123abcd',
  labels: { 'fedops-machine': '0123abcd-0000-4000-8000-000000000000', 'fedops-platform': 'main' },
  sizing: { vcpus: 2, memoryMiB: 4096, diskGiB: 40 },
  size: 'medium',
};

describe('sandbox machine metadata', () => {
  it('round-trips, with and without a size', () => {
    expect(parseMetadata(serializeMetadata(METADATA))).toEqual(METADATA);
    const unsized: SandboxMachineMetadata = {
      version: 1,
      name: METADATA.name,
      labels: METADATA.labels,
      sizing: METADATA.sizing,
    };
    expect(parseMetadata(serializeMetadata(unsized))).toEqual(unsized);
  });

  it('lives next to the host root folder', () => {
    expect(metadataPath('/var/lib/fedops/sandbox/hosts/fo-0123abcd/root')).toBe(
      '/var/lib/fedops/sandbox/hosts/fo-0123abcd/machine.json',
    );
  });

  it('names every bad field of a damaged file', () => {
    const text = JSON.stringify({
      version: 2,
      name: '',
      labels: { a: 1 },
      sizing: { vcpus: 1.5, memoryMiB: -1, diskGiB: '10' },
      size: 3,
    });
    let message = '';
    try {
      parseMetadata(text);
    } catch (err) {
      message = err instanceof Error ? err.message : String(err);
    }
    for (const field of [
      'version',
      'name',
      'labels.a',
      'sizing.vcpus',
      'sizing.memoryMiB',
      'sizing.diskGiB',
      'size',
    ]) {
      expect(message).toContain(`${field}:`);
    }
  });

  it('rejects text that is not a JSON object', () => {
    expect(() => parseMetadata('{')).toThrow(/not valid JSON/);
    expect(() => parseMetadata('[]')).toThrow(/JSON object/);
    expect(() => parseMetadata(JSON.stringify({ ...METADATA, sizing: undefined }))).toThrow(
      /sizing: must be an object/,
    );
  });

  it('matches label selectors: every wanted label, equal values; empty selects all', () => {
    expect(matchesLabels(METADATA.labels, {})).toBe(true);
    expect(matchesLabels(METADATA.labels, { 'fedops-platform': 'main' })).toBe(true);
    expect(matchesLabels(METADATA.labels, { 'fedops-platform': 'main', 'fedops-machine': 'other' })).toBe(
      false,
    );
    expect(matchesLabels(METADATA.labels, { 'fedops-tenant': 'main' })).toBe(false);
  });
});
