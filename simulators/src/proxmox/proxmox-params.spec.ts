import { PveError } from './proxmox-errors';
import { formatSize, parseSize, uniqueTags, verifyParams } from './proxmox-params';
import { decodeSshKeys, isValidPublicKeyLine } from './proxmox-ssh-keys';

const KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXj3eJ1k2p7JpVjv1Y8uJ2u5zqkXcE9t6D3GqvB1v0G ops@example.org';

function refusal(run: () => unknown): PveError {
  try {
    run();
  } catch (err) {
    if (err instanceof PveError) return err;
    throw err;
  }
  throw new Error('no refusal');
}

describe('Proxmox parameter verification', () => {
  const schema = {
    node: { kind: 'pve-node' },
    vmid: { kind: 'pve-vmid' },
    cores: { kind: 'integer', optional: true, minimum: 1 },
    tags: { kind: 'pve-tag-list', optional: true },
    sshkeys: { kind: 'urlencoded', optional: true },
  } as const;

  it('returns every value as text (JSON numbers and booleans as Perl sees them)', () => {
    expect(verifyParams(schema, { node: 'pve1', vmid: 101, cores: '2' })).toEqual({
      node: 'pve1',
      vmid: '101',
      cores: '2',
    });
  });

  it('collects every problem into one 400 with the schema wording', () => {
    const err = refusal(() =>
      verifyParams(schema, { vmid: '12', cores: '0', tags: 'ok;bad tag!', extra: 'x' }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toBe('Parameter verification failed.');
    expect(err.errors).toEqual({
      node: 'property is missing and it is not optional\n',
      vmid: 'invalid format - value does not look like a valid VM ID\n',
      cores: 'value must have a minimum value of 1\n',
      tags: 'invalid format - invalid characters in tag\n',
      extra: 'property is not defined in schema and the schema does not allow additional properties\n',
    });
  });

  it('accepts only URL-encoded sshkeys', () => {
    expect(() =>
      verifyParams(schema, { node: 'pve1', vmid: '101', sshkeys: encodeURIComponent(KEY) }),
    ).not.toThrow();
    expect(
      refusal(() => verifyParams(schema, { node: 'pve1', vmid: '101', sshkeys: KEY })).errors?.['sshkeys'],
    ).toMatch(/^invalid format - invalid urlencoded string/);
  });

  it('normalises tags as get_unique_tags does', () => {
    expect(uniqueTags('Web;fedops-platform.main, web beta')).toBe('beta;fedops-platform.main;web');
  });

  it('reads and prints sizes as Proxmox does', () => {
    expect(parseSize('+10G')).toEqual({ relative: true, bytes: 10 * 2 ** 30 });
    expect(parseSize('512M')).toEqual({ relative: false, bytes: 512 * 2 ** 20 });
    expect(formatSize(12 * 2 ** 30)).toBe('12G');
    expect(formatSize(1536 * 2 ** 20)).toBe('1536M');
  });
});

describe('Proxmox sshkeys', () => {
  it('decodes the URL-encoded key lines and checks each like ssh-keygen -l', () => {
    const value = encodeURIComponent(`${KEY}\n\nssh-ed25519 AAAA broken`);
    const lines = decodeSshKeys(value);
    expect(lines).toEqual([KEY, 'ssh-ed25519 AAAA broken']);
    expect(isValidPublicKeyLine(lines[0] ?? '')).toBe(true);
    expect(isValidPublicKeyLine(lines[1] ?? '')).toBe(false);
    // A blob of another key type under this type name.
    expect(isValidPublicKeyLine(`ssh-rsa ${KEY.split(' ')[1] ?? ''}`)).toBe(false);
  });
});
