import { SecretBox, SecretBoxError } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(SecretBox.generateKey());

  it('round-trips text, including unicode and the empty string', () => {
    for (const secret of ['restic-password', 'pässwörd 🔑', '']) {
      expect(box.open(box.seal(secret))).toBe(secret);
    }
  });

  it('produces v1:<iv>:<tag>:<ciphertext> in base64url with a fresh IV each time', () => {
    const a = box.seal('same');
    const b = box.seal('same');
    expect(a).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('same');
  });

  it('rejects tampered ciphertext, tag or IV', () => {
    const sealed = box.seal('restic-password');
    const parts = sealed.split(':');
    for (const index of [1, 2, 3]) {
      const tampered = [...parts];
      const part = tampered[index]!;
      tampered[index] = (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
      expect(() => box.open(tampered.join(':'))).toThrow(SecretBoxError);
    }
  });

  it('rejects another key and another context', () => {
    const sealed = box.seal('restic-password', 'tenant-1');
    expect(box.open(sealed, 'tenant-1')).toBe('restic-password');
    expect(() => box.open(sealed, 'tenant-2')).toThrow(/does not open/);
    expect(() => new SecretBox(SecretBox.generateKey()).open(sealed, 'tenant-1')).toThrow(/does not open/);
  });

  it('rejects malformed input and unknown versions with clear errors', () => {
    expect(() => box.open('nonsense')).toThrow(/malformed/);
    expect(() => box.open('v2:a:b:c')).toThrow(/unsupported version/);
    expect(() => box.open('v1:!!:b:c')).toThrow(/base64url/);
    expect(() => box.open('v1:AAAA:AAAA:AAAA')).toThrow(/iv or tag length/);
  });

  it('requires a 32-byte key without echoing it', () => {
    expect(() => new SecretBox(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
    expect(() => new SecretBox(Buffer.alloc(32, 7).toString('base64url'))).not.toThrow();
  });
});
