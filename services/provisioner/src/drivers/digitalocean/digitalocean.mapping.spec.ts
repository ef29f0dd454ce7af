import { parse } from 'yaml';
import {
  buildCloudConfig,
  labelsToTags,
  machineStatus,
  smallestFittingSize,
  sshFingerprint,
  tagsToLabels,
  toDriverMachine,
  type DoSize,
} from './digitalocean.mapping';

const HOST_KEY = {
  privateKey:
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
  publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKPRZnh+wXBBSEKlg03nHjhr06WrlO06a0Ne5QohDKby',
};
const PLATFORM_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKPRZnh+wXBBSEKlg03nHjhr06WrlO06a0Ne5QohDKby platform';

describe('owner labels as DigitalOcean tags', () => {
  it('encodes key:value and reads it back; plain tags are not labels', () => {
    const labels = { 'fedops-machine': '0b5e2c1e-9d7a-4c51-8f1e-0c2b7f3f9e11', 'fedops-platform': 'prod-1' };
    const tags = labelsToTags(labels);
    expect(tags).toEqual(['fedops-machine:0b5e2c1e-9d7a-4c51-8f1e-0c2b7f3f9e11', 'fedops-platform:prod-1']);
    expect(tagsToLabels([...tags, 'web', 'env:a:b'])).toEqual({ ...labels, env: 'a:b' });
    expect(tagsToLabels(null)).toEqual({});
  });

  it('refuses what DigitalOcean tags cannot hold', () => {
    expect(() => labelsToTags({ 'a:b': 'c' })).toThrow(/labels\.a:b/);
    expect(() => labelsToTags({ env: 'has space' })).toThrow(/labels\.env/);
    expect(() => labelsToTags({ long: 'x'.repeat(260) })).toThrow(/at most 255/);
  });
});

describe('cloud-config user data', () => {
  it('pins the host key and root’s keys', () => {
    const text = buildCloudConfig({ hostKey: HOST_KEY, sshAuthorizedKeys: [PLATFORM_KEY] });
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    expect(parse(text)).toEqual({
      ssh_authorized_keys: [PLATFORM_KEY],
      ssh_keys: { ed25519_private: HOST_KEY.privateKey, ed25519_public: HOST_KEY.publicKey },
    });
  });

  it('merges the spec’s own cloud-config: its keys kept beside ours, its host keys replaced', () => {
    const userData = [
      '#cloud-config',
      'packages: [htop]',
      'ssh_authorized_keys: ["ssh-ed25519 AAAAother ops"]',
      'ssh_keys: { rsa_private: "nope" }',
    ].join('\n');
    const doc = parse(
      buildCloudConfig({ hostKey: HOST_KEY, sshAuthorizedKeys: [PLATFORM_KEY], userData }),
    ) as Record<string, unknown>;
    expect(doc['packages']).toEqual(['htop']);
    expect(doc['ssh_authorized_keys']).toEqual([PLATFORM_KEY, 'ssh-ed25519 AAAAother ops']);
    expect(doc['ssh_keys']).toEqual({
      ed25519_private: HOST_KEY.privateKey,
      ed25519_public: HOST_KEY.publicKey,
    });
  });

  it('runs a script given as user data, and refuses other formats', () => {
    const doc = parse(
      buildCloudConfig({
        hostKey: HOST_KEY,
        sshAuthorizedKeys: [PLATFORM_KEY],
        userData: '#!/bin/sh\necho hi\n',
      }),
    ) as Record<string, unknown>;
    expect(doc['write_files']).toEqual([
      { path: '/var/lib/fedops/user-data', permissions: '0700', content: '#!/bin/sh\necho hi\n' },
    ]);
    expect(doc['runcmd']).toEqual([['/var/lib/fedops/user-data']]);
    expect(() =>
      buildCloudConfig({ hostKey: HOST_KEY, sshAuthorizedKeys: [], userData: '#include http://x' }),
    ).toThrow(/userData/);
  });
});

describe('droplets as machines', () => {
  it('maps status, sizing, labels and the public address', () => {
    expect(['new', 'active', 'off', 'archive', 'weird'].map(machineStatus)).toEqual([
      'creating',
      'running',
      'stopped',
      'deleting',
      'unknown',
    ]);
    expect(
      toDriverMachine({
        id: 42,
        name: 'fo-1',
        memory: 2048,
        vcpus: 2,
        disk: 60,
        status: 'active',
        size_slug: 's-2vcpu-2gb',
        region: { slug: 'fra1' },
        tags: ['fedops-machine:m1'],
        networks: {
          v4: [
            { ip_address: '10.1.0.5', type: 'private' },
            { ip_address: '203.0.113.7', type: 'public' },
          ],
        },
      }),
    ).toEqual({
      providerId: '42',
      name: 'fo-1',
      status: 'running',
      labels: { 'fedops-machine': 'm1' },
      location: 'fra1',
      sizing: { vcpus: 2, memoryMiB: 2048, diskGiB: 60 },
      address: '203.0.113.7',
    });
  });

  it('picks the cheapest size of the region that fits and never shrinks the disk', () => {
    const size = (
      slug: string,
      vcpus: number,
      memory: number,
      disk: number,
      price: number,
      regions = ['nyc1'],
    ): DoSize => ({
      slug,
      vcpus,
      memory,
      disk,
      price_monthly: price,
      regions,
      available: true,
    });
    const sizes = [
      size('s-2vcpu-4gb', 2, 4096, 80, 24),
      size('s-2vcpu-2gb', 2, 2048, 60, 18),
      size('c-2', 2, 4096, 25, 42),
      size('s-1vcpu-2gb', 1, 2048, 50, 12),
      size('cheap-elsewhere', 2, 2048, 60, 1, ['fra1']),
    ];
    expect(smallestFittingSize(sizes, 'nyc1', { vcpus: 2, memoryMiB: 2048, diskGiB: 35 })?.slug).toBe(
      's-2vcpu-2gb',
    );
    expect(smallestFittingSize(sizes, 'nyc1', { vcpus: 2, memoryMiB: 2048, diskGiB: 10 }, 70)?.slug).toBe(
      's-2vcpu-4gb',
    );
    expect(smallestFittingSize(sizes, 'nyc1', { vcpus: 8, memoryMiB: 2048, diskGiB: 10 })).toBeUndefined();
  });

  it('fingerprints keys the way DigitalOcean names them', () => {
    expect(sshFingerprint(PLATFORM_KEY)).toBe('cc:24:65:3d:77:45:cc:c5:06:84:a8:d2:9e:5f:ac:41');
    expect(sshFingerprint('garbage')).toBeUndefined();
  });
});
