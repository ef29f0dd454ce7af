import { hetznerPublicKey, unusablePublicKey } from './ssh-public-key';

describe('Hetzner SSH public keys', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINVjD78x4NU2HtAW9FCe1j4GLQSFieE+F+XaEoWB6Esr t';

  it('takes OpenSSH public key lines but DSA ones', () => {
    expect(hetznerPublicKey(key)?.type).toBe('ssh-ed25519');
    expect(hetznerPublicKey('not a key')).toBeUndefined();
    expect(
      hetznerPublicKey('ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAINVjD78x4NU2HtAW9FCe1j4GLQSFieE+F+XaEoWB6Esr'),
    ).toBeUndefined();
    const dss = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-dss'), Buffer.alloc(8)]);
    expect(hetznerPublicKey(`ssh-dss ${dss.toString('base64')}`)).toBeUndefined();
  });

  it('makes well-formed keys nobody can use', () => {
    const line = unusablePublicKey();
    expect(hetznerPublicKey(line)).toBeDefined();
    expect(line).not.toBe(unusablePublicKey());
  });
});
