import { md5Fingerprint, parsePublicKeyLine, sha256Fingerprint } from './ssh-public-keys';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKPRZnh+wXBBSEKlg03nHjhr06WrlO06a0Ne5QohDKby test key';

describe('OpenSSH public key lines', () => {
  it('parses `type base64 [comment]`', () => {
    const parsed = parsePublicKeyLine(`  ${KEY}\n`);
    expect(parsed).toMatchObject({ type: 'ssh-ed25519', comment: 'test key' });
    expect(parsed?.blob.length).toBe(51);
    expect(parsePublicKeyLine(KEY.split(' ').slice(0, 2).join(' '))).not.toHaveProperty('comment');
  });

  it('fingerprints a key as `ssh-keygen -l` does, MD5 and SHA256', () => {
    const blob = parsePublicKeyLine(KEY)?.blob ?? Buffer.alloc(0);
    // `ssh-keygen -l -E md5 -f key.pub` and `ssh-keygen -l -f key.pub` of this key.
    expect(md5Fingerprint(blob)).toBe('cc:24:65:3d:77:45:cc:c5:06:84:a8:d2:9e:5f:ac:41');
    expect(sha256Fingerprint(blob)).toBe('SHA256:E/2FjsKOTZsdAU37W7TVdt4R2qTulEputOxmQDGUHQE');
  });

  it('refuses what is not a public key line', () => {
    expect(parsePublicKeyLine('not a key')).toBeUndefined();
    expect(parsePublicKeyLine('ssh-ed25519')).toBeUndefined();
    expect(parsePublicKeyLine('ssh-ed25519 !!!')).toBeUndefined();
    expect(parsePublicKeyLine('ssh-ed25519 AAAA')).toBeUndefined();
    // A blob of one type under another type's name.
    expect(parsePublicKeyLine(KEY.replace('ssh-ed25519', 'ssh-rsa'))).toBeUndefined();
  });

  it('takes only the types it is given', () => {
    expect(parsePublicKeyLine(KEY, ['ssh-rsa'])).toBeUndefined();
    expect(parsePublicKeyLine(KEY, ['ssh-ed25519'])).toBeDefined();
  });
});
