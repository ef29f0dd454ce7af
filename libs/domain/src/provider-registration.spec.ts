import { FedopsError } from './errors';
import { parseProviderRegistration } from './provider-registration';

const proxmox = {
  name: 'pve-fra1',
  kind: 'proxmox',
  endpoint: 'https://pve.example.net:8006/',
  credentials: { tokenId: 'fedops@pve!deploy', tokenSecret: '0b7d3c2e-8d1a-4a55-9f0e-5b8f3e6a1c2d' },
  locations: ['pve1', 'pve2'],
  plans: [{ name: 'small', vcpus: 2, memoryMiB: 4096, diskGiB: 40 }],
  image: '9000',
  settings: { storage: 'local-lvm' },
  quotas: { machines: 20 },
};

function fields(body: unknown): Array<{ field: string; message: string }> {
  try {
    parseProviderRegistration(body);
  } catch (err) {
    if (err instanceof FedopsError) return err.details.fields ?? [];
    throw err;
  }
  return [];
}

describe('parseProviderRegistration', () => {
  it('accepts a complete Proxmox registration and trims the endpoint', () => {
    const parsed = parseProviderRegistration(proxmox);
    expect(parsed.endpoint).toBe('https://pve.example.net:8006');
    expect(parsed.plans).toEqual(proxmox.plans);
  });

  it('names every missing credential and unknown field per kind', () => {
    expect(fields({ ...proxmox, credentials: { token: 'x' }, extra: 1 }).map((f) => f.field)).toEqual([
      'extra',
      'credentials.tokenId',
      'credentials.tokenSecret',
      'credentials.token',
    ]);
  });

  it('never echoes a credential value in its messages', () => {
    const secret = 'super-secret-value-123';
    const problems = fields({ ...proxmox, kind: 'hetzner', credentials: { tokenSecret: secret } });
    expect(JSON.stringify(problems)).not.toContain(secret);
  });

  it('requires size slugs on clouds, a template VMID and storage on Proxmox', () => {
    expect(
      fields({ ...proxmox, kind: 'digitalocean', credentials: { token: 't' }, settings: {} }),
    ).toContainEqual({
      field: 'plans[0].size',
      message: "is required for digitalocean: the vendor's size slug",
    });
    expect(fields({ ...proxmox, image: 'ubuntu', settings: {} }).map((f) => f.field)).toEqual([
      'image',
      'settings.storage',
    ]);
  });

  it('refuses an endpoint with credentials in it, repeated locations and bad quotas', () => {
    expect(
      fields({
        ...proxmox,
        endpoint: 'https://root:pw@pve:8006',
        locations: ['a', 'a'],
        quotas: { machines: -1 },
      }).map((f) => f.field),
    ).toEqual(['endpoint', 'locations', 'quotas.machines']);
  });

  it('accepts the sandbox kind without credentials or endpoint', () => {
    expect(
      parseProviderRegistration({
        name: 'sandbox-b',
        kind: 'sandbox',
        credentials: {},
        locations: ['local'],
        plans: [{ name: 'small', vcpus: 1, memoryMiB: 1024, diskGiB: 10 }],
        image: 'sandbox',
      }).kind,
    ).toBe('sandbox');
  });
});
